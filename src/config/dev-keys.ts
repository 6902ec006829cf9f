import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { DevSecretsError, readDevSecrets } from './dev-secrets.js';

export interface AddedKey {
  id: string;
  /** `id:base64key`, the entry to put in SIGNING_AUTH_ENCRYPTION_KEYS. */
  entry: string;
  /** The key that encrypts new values after the change. */
  activeKeyId: string;
  /** Every key id the keyring holds after the change, the active one included. */
  keyIds: string[];
}

/** A fresh AES-256 key with a sortable, dated id (`k20261202-103000`). */
export function generateKeyEntry(id = datedKeyId()): { id: string; entry: string } {
  return { id, entry: `${id}:${randomBytes(32).toString('base64')}` };
}

function datedKeyId(): string {
  const iso = new Date().toISOString(); // 2026-12-02T10:30:00.000Z
  return `k${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`;
}

/**
 * Adds a key to the development keyring in `<dataDir>/dev-secrets.json`: put first in `encryptionKeys`, and
 * either pinned out of use (`activeKeyId` stays the current active key: the key only decrypts) or made active.
 * The library validates the resulting keyring when the app (or `keys:rotate`) starts.
 */
export function addDevKey(file: string, options: { id?: string; activate: boolean }): AddedKey {
  const dev = readDevSecrets(file);
  const keyIds = keyIdsOf(dev.encryptionKeys);
  const { id, entry } = generateKeyEntry(options.id);
  if (!KEY_ID.test(id))
    throw new DevSecretsError(`Key id "${id}" is invalid: use 1-32 letters, digits, "_" or "-".`);
  if (keyIds.includes(id)) throw new DevSecretsError(`${file} already has a key "${id}": pick another id.`);
  const activeKeyId = options.activate ? id : (dev.activeKeyId ?? keyIds[0]);
  const next = { ...dev, encryptionKeys: `${entry},${dev.encryptionKeys}`, activeKeyId };
  writeFileSync(file, JSON.stringify(next, null, 2), { mode: 0o600 });
  return { id, entry, activeKeyId, keyIds: [id, ...keyIds] };
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** The ids of an `id:base64key,...` list (never the keys). */
export function keyIdsOf(encryptionKeys: string): string[] {
  return encryptionKeys
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => part.slice(0, Math.max(0, part.indexOf(':'))));
}
