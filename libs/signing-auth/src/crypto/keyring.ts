import { createHash } from 'node:crypto';
import { InvalidEncryptionKeysError } from './crypto.errors.js';
import { optionName } from '../common/option-names.js';

/**
 * One AES-256 key. `key` is 32 raw bytes, or their base64 encoding.
 * @publicApi
 */
export interface EncryptionKey {
  /** Short identifier stored inside every ciphertext, e.g. `2026-11`. Letters, digits, `_` and `-`. */
  id: string;
  key: Buffer | string;
}

const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
/** 32 bytes in standard base64: 43 characters and one `=` (what `openssl rand -base64 32` prints). */
const BASE64_32_BYTES = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
/** 32 random bytes have about 30 distinct values; fewer than 16 happens by chance with probability < 1e-9. */
const MIN_DISTINCT_BYTES = 16;
const GENERATE = 'Generate one with `openssl rand -base64 32`.';

/**
 * A key's 32 bytes, strictly: a Buffer of exactly 32 bytes, or their canonical base64 (Node's decoder
 * silently skips characters it does not know, so `aaaa…` of any length would "decode"). Obviously weak
 * keys (one byte repeated, few distinct bytes, a counting sequence: a placeholder, not a random key) are
 * refused too.
 */
function keyBytes(id: string, key: Buffer | string | undefined): Buffer {
  let bytes: Buffer;
  if (Buffer.isBuffer(key)) {
    bytes = Buffer.from(key);
  } else {
    const text = String(key ?? '').trim();
    if (!BASE64_32_BYTES.test(text)) {
      const decoded = Buffer.from(text, 'base64').length;
      throw new InvalidEncryptionKeysError(
        `signing-auth: encryption key "${id}" is not 32 bytes in standard base64 ` +
          `(${text.length} characters${decoded !== 32 ? `, ${decoded} bytes` : ''}); AES-256 needs exactly 32 bytes ` +
          `(44 base64 characters ending in "="). ${GENERATE}`,
      );
    }
    bytes = Buffer.from(text, 'base64');
  }
  if (bytes.length !== 32) {
    throw new InvalidEncryptionKeysError(
      `signing-auth: encryption key "${id}" is ${bytes.length} bytes; AES-256 needs exactly 32 bytes ` +
        `(44 base64 characters). ${GENERATE}`,
    );
  }
  if (isWeakKey(bytes)) {
    throw new InvalidEncryptionKeysError(
      `signing-auth: encryption key "${id}" is not random (a repeated byte, few distinct bytes, a ` +
        `sequence, text typed as a key or the hash of a common password): use 32 random bytes. ${GENERATE}`,
    );
  }
  return bytes;
}

/**
 * Passwords people hash into "a key" (`echo -n password | sha256sum`, `echo password | sha256sum`). A hash
 * of a guessable word looks random byte by byte, so only a list catches it; the list is short on purpose:
 * it stops the placeholders that end up in real deployments, not a dictionary attack.
 */
const GUESSABLE_WORDS = [
  '',
  'password',
  'Password',
  'password1',
  'Password1',
  'passw0rd',
  'secret',
  'Secret',
  'changeme',
  'changeit',
  'admin',
  'root',
  'test',
  'testing',
  'example',
  'default',
  'key',
  'secretkey',
  'secret-key',
  'secret_key',
  'encryptionkey',
  'encryption-key',
  'encryption_key',
  'mysecret',
  'mysecretkey',
  'letmein',
  'qwerty',
  '123456',
  '12345678',
  '123456789',
  '1234567890',
  'abc123',
  'signing-auth',
  'signingauth',
];
const GUESSABLE_HASHES = new Set(
  GUESSABLE_WORDS.flatMap((word) => [word, `${word}\n`]).map((text) =>
    createHash('sha256').update(text, 'utf8').digest('hex'),
  ),
);
/** 32 random bytes are all printable ASCII with probability (95/256)^32 ≈ 1.6e-14: such a key is a passphrase. */
const PRINTABLE = (byte: number): boolean => byte >= 0x20 && byte <= 0x7e;

/** @internal */
export function isWeakKey(bytes: Buffer): boolean {
  if (new Set(bytes).size < MIN_DISTINCT_BYTES) return true;
  if (bytes.every(PRINTABLE)) return true;
  if (GUESSABLE_HASHES.has(bytes.toString('hex'))) return true;
  const step = (bytes[1]! - bytes[0]! + 256) % 256;
  return bytes.every((b, i) => i === 0 || (b - bytes[i - 1]! + 256) % 256 === step);
}

/**
 * Holds every key the app knows: the active one encrypts, all of them decrypt.
 * Built once at bootstrap; every problem is reported with the fix, before the app serves anything.
 */
export class Keyring {
  private readonly keys = new Map<string, Buffer>();
  readonly activeKeyId: string;

  constructor(keys: readonly EncryptionKey[] | string | undefined, activeKeyId?: string) {
    const list = typeof keys === 'string' ? Keyring.parse(keys) : (keys ?? []);
    if (list.length === 0) {
      throw new InvalidEncryptionKeysError(
        `signing-auth: no encryption keys configured. Pass ${optionName('encryptionKeys')} to SigningAuthModule.forRoot(), ` +
          'e.g. [{ id: "k1", key: <32 random bytes, base64> }] (generate one with `openssl rand -base64 32`).',
      );
    }
    for (const { id, key } of list) {
      if (!KEY_ID_PATTERN.test(id ?? '')) {
        throw new InvalidEncryptionKeysError(
          `signing-auth: encryption key id "${id}" is invalid: use 1-32 letters, digits, "_" or "-".`,
        );
      }
      if (this.keys.has(id)) {
        throw new InvalidEncryptionKeysError(
          `signing-auth: encryption key id "${id}" appears twice: give every key a distinct id.`,
        );
      }
      this.keys.set(id, keyBytes(id, key));
    }
    this.activeKeyId = activeKeyId ?? list[0].id;
    if (!this.keys.has(this.activeKeyId)) {
      throw new InvalidEncryptionKeysError(
        `signing-auth: activeKeyId "${this.activeKeyId}" is not among the configured keys ` +
          `(${[...this.keys.keys()].join(', ')}): add that key or pick one of these ` +
          `with ${optionName('activeKeyId')}.`,
      );
    }
  }

  /** Parses `id:base64key,id2:base64key2` (the SIGNING_AUTH_ENCRYPTION_KEYS format); the first is active. */
  static parse(value: string): EncryptionKey[] {
    return value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0)
      .map((part) => {
        const colon = part.indexOf(':');
        if (colon <= 0) {
          throw new InvalidEncryptionKeysError(
            'signing-auth: encryption keys must look like "id:base64key,id2:base64key2"; one entry has no "id:" prefix.',
          );
        }
        return { id: part.slice(0, colon), key: part.slice(colon + 1) };
      });
  }

  get(id: string): Buffer | undefined {
    return this.keys.get(id);
  }

  get activeKey(): Buffer {
    return this.keys.get(this.activeKeyId) as Buffer;
  }

  get keyIds(): string[] {
    return [...this.keys.keys()];
  }
}
