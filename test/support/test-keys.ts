import { randomBytes } from 'node:crypto';
import type { EncryptionKey } from 'signing-auth';

export function newKey(id: string): EncryptionKey {
  return { id, key: randomBytes(32).toString('base64') };
}
