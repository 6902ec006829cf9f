import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { SecretDecryptionError } from './crypto.errors.js';
import { Keyring } from './keyring.js';
import { SecretCipher } from './secret-cipher.js';

const key = (id: string) => ({ id, key: randomBytes(32) });
const location = fc.record({
  tenantId: fc.string({ minLength: 1, maxLength: 40 }),
  provider: fc.constantFrom('docusign', 'signicat', 'formstack-sign', 'docspring', 'oauth2'),
  field: fc.constantFrom('secrets', 'access_token', 'refresh_token', 'code_verifier'),
});

describe('SecretCipher', () => {
  const cipher = new SecretCipher(new Keyring([key('k1')]));

  it('round-trips any UTF-8 secret at any location', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 500 }), location, (secret, where) => {
        expect(cipher.decrypt(cipher.encrypt(secret, where), where)).toBe(secret);
      }),
    );
  });

  it('gives every value its own IV, across the blocks the IVs are cut from', () => {
    const where = { tenantId: 't1', provider: 'oauth2', field: 'access_token' };
    // 2,000 values span several 4 KiB blocks of random bytes (341 IVs each).
    const ivs = Array.from({ length: 2_000 }, () => cipher.encrypt('same', where).split('.')[2]);
    expect(new Set(ivs).size).toBe(ivs.length);
    expect(ivs.every((iv) => Buffer.from(iv, 'base64url').length === 12)).toBe(true);
  });

  it('never stores the plaintext and uses a fresh IV each time', () => {
    const where = { tenantId: 't1', provider: 'docusign', field: 'refresh_token' };
    const secret = 'canary-refresh-token-1234567890';
    const a = cipher.encrypt(secret, where);
    const b = cipher.encrypt(secret, where);
    expect(a).not.toContain(secret);
    expect(a).not.toBe(b);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
    expect(Buffer.from(a.split('.')[2], 'base64url')).toHaveLength(12);
  });

  it('detects any single-character change to the stored value', () => {
    const where = { tenantId: 't1', provider: 'signicat', field: 'secrets' };
    const stored = cipher.encrypt('{"clientSecret":"s3cr3t"}', where);
    const payloadStart = stored.indexOf('.', 4) + 1; // after "sa1.k1."
    fc.assert(
      fc.property(
        fc.integer({ min: payloadStart, max: stored.length - 1 }),
        fc.constantFrom('A', 'B', '_', '-', '0'),
        (i, ch) => {
          // The last character of a base64url segment carries padding bits a change may not touch.
          fc.pre(stored[i] !== ch && stored[i] !== '.' && i < stored.length - 1 && stored[i + 1] !== '.');
          const tampered = stored.slice(0, i) + ch + stored.slice(i + 1);
          expect(() => cipher.decrypt(tampered, where)).toThrow(SecretDecryptionError);
        },
      ),
    );
  });

  it('refuses a ciphertext moved to another tenant, provider or field (associated data)', () => {
    fc.assert(
      fc.property(location, location, fc.string({ maxLength: 50 }), (from, to, secret) => {
        fc.pre(from.tenantId !== to.tenantId || from.provider !== to.provider || from.field !== to.field);
        const stored = cipher.encrypt(secret, from);
        expect(() => cipher.decrypt(stored, to)).toThrow(SecretDecryptionError);
      }),
    );
  });

  it('names tenant, provider, field and key id in the error, and never the secret', () => {
    const where = { tenantId: 'acme', provider: 'docusign', field: 'refresh_token' };
    const stored = cipher.encrypt('canary-secret-value', where);
    try {
      cipher.decrypt(stored, { ...where, tenantId: 'other' });
      throw new Error('expected a failure');
    } catch (error) {
      expect(error).toBeInstanceOf(SecretDecryptionError);
      const e = error as SecretDecryptionError;
      expect(e.message).toContain('"other"');
      expect(e.message).toContain('docusign');
      expect(e.message).toContain('refresh_token');
      expect(e.message).toContain('"k1"');
      expect(e.reason).toBe('authentication_failed');
      expect(e.message).not.toContain('canary-secret-value');
    }
  });

  it('reports an unknown key id without trying other keys', () => {
    const where = { tenantId: 't', provider: 'oauth2', field: 'secrets' };
    const stored = new SecretCipher(new Keyring([key('old')])).encrypt('x', where);
    const e = captureError(() => cipher.decrypt(stored, where));
    expect(e).toBeInstanceOf(SecretDecryptionError);
    expect((e as SecretDecryptionError).reason).toBe('unknown_key');
    expect((e as SecretDecryptionError).keyId).toBe('old');
  });

  it('refuses a value relabelled with another key id, even when that key decrypts nothing else', () => {
    const k1 = key('k1');
    const k2 = key('k2');
    const both = new SecretCipher(new Keyring([k1, k2]));
    const where = { tenantId: 't', provider: 'oauth2', field: 'secrets' };
    const stored = both.encrypt('x', where);
    const relabelled = stored.replace('.k1.', '.k2.');
    expect(() => both.decrypt(relabelled, where)).toThrow(SecretDecryptionError);
  });

  it('rotation: values under an old key still decrypt once the new key is active, and new values use the new key', () => {
    const oldKey = key('2025');
    const newKey = key('2026');
    const before = new SecretCipher(new Keyring([oldKey]));
    const after = new SecretCipher(new Keyring([newKey, oldKey]));
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), location, (secret, where) => {
        const old = before.encrypt(secret, where);
        expect(SecretCipher.keyIdOf(old)).toBe('2025');
        expect(after.decrypt(old, where)).toBe(secret);
        const fresh = after.encrypt(after.decrypt(old, where), where);
        expect(SecretCipher.keyIdOf(fresh)).toBe('2026');
        expect(new SecretCipher(new Keyring([newKey])).decrypt(fresh, where)).toBe(secret);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects values not in the ciphertext format', () => {
    const where = { tenantId: 't', provider: 'oauth2', field: 'secrets' };
    for (const bad of ['', 'plaintext', 'sa1.k1.x.y', 'sa2.k1.a.b.c', 'sa1.k1.AAAA.BBBB.CCCC']) {
      expect(() => cipher.decrypt(bad, where)).toThrow(SecretDecryptionError);
    }
  });
});

describe('Keyring', () => {
  it.each([
    [[], /no encryption keys/],
    [[{ id: 'a', key: randomBytes(16) }], /16 bytes; AES-256 needs exactly 32/],
    [[{ id: 'a', key: 'not base64 and short' }], /needs exactly 32 bytes/],
    [[key('a'), key('a')], /"a" appears twice/],
    [[{ id: 'bad id!', key: randomBytes(32) }], /key id "bad id!" is invalid/],
  ])('fails with a message that says the fix (%#)', (keys, message) => {
    expect(() => new Keyring(keys)).toThrow(message);
  });

  it('fails when the active key is not among the keys', () => {
    expect(() => new Keyring([key('a')], 'b')).toThrow(
      /activeKeyId "b" is not among the configured keys \(a\)/,
    );
  });

  it('parses the environment form with the first key active', () => {
    const a = randomBytes(32).toString('base64');
    const b = randomBytes(32).toString('base64');
    const ring = new Keyring(`new:${a}, old:${b}`);
    expect(ring.activeKeyId).toBe('new');
    expect(ring.keyIds).toEqual(['new', 'old']);
    expect(() => new Keyring(`${a}`)).toThrow(/no "id:" prefix/);
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}
