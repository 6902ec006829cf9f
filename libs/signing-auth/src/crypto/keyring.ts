import { InvalidEncryptionKeysError } from './crypto.errors.js';

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
        'signing-auth: no encryption keys configured. Pass `encryptionKeys` to SigningAuthModule.forRoot(), ' +
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
      const bytes = Buffer.isBuffer(key) ? Buffer.from(key) : Buffer.from(String(key ?? ''), 'base64');
      if (bytes.length !== 32) {
        throw new InvalidEncryptionKeysError(
          `signing-auth: encryption key "${id}" is ${bytes.length} bytes; AES-256 needs exactly 32 bytes ` +
            '(44 base64 characters). Generate one with `openssl rand -base64 32`.',
        );
      }
      this.keys.set(id, bytes);
    }
    this.activeKeyId = activeKeyId ?? list[0].id;
    if (!this.keys.has(this.activeKeyId)) {
      throw new InvalidEncryptionKeysError(
        `signing-auth: activeKeyId "${this.activeKeyId}" is not among the configured keys ` +
          `(${[...this.keys.keys()].join(', ')}): add that key or pick one of these.`,
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
