import { createHash, randomBytes } from 'node:crypto';
import { InvalidEncryptionKeysError } from './crypto.errors.js';
import { Keyring } from './keyring.js';

describe('Keyring: strict, strong keys', () => {
  const good = () => randomBytes(32).toString('base64');

  it('accepts 32 random bytes, as a Buffer, as base64 and in the id:key string form', () => {
    expect(new Keyring([{ id: 'a', key: randomBytes(32) }]).activeKey).toHaveLength(32);
    expect(new Keyring([{ id: 'a', key: good() }]).activeKey).toHaveLength(32);
    expect(new Keyring(`a:${good()}, b:${good()}\n`).keyIds).toEqual(['a', 'b']);
  });

  it.each([
    [
      'aaaa…a= (non-canonical: lenient base64 decodes it anyway)',
      'a'.repeat(43) + '=',
      /not 32 bytes in standard base64/,
    ],
    ['aaaa…aY= (canonical, 32 bytes of a 3-byte pattern)', 'a'.repeat(42) + 'Y=', /is not random/],
    [
      'a valid key with a stray character (Node skips it)',
      () => good().slice(0, 20) + '!' + good().slice(20),
      /not 32 bytes in standard base64/,
    ],
    ['base64url', () => randomBytes(32).toString('base64url'), /not 32 bytes in standard base64/],
    ['33 bytes', () => randomBytes(33).toString('base64'), /needs exactly 32 bytes/],
    ['24 bytes', () => randomBytes(24).toString('base64'), /needs exactly 32 bytes/],
    ['hex', () => randomBytes(32).toString('hex'), /needs exactly 32 bytes/],
    ['one byte repeated (Buffer)', Buffer.alloc(32, 1), /is not random/],
    ['zeros (base64)', Buffer.alloc(32).toString('base64'), /is not random/],
    ['a counting sequence', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), /is not random/],
    [
      'few distinct bytes',
      Buffer.from(Array.from({ length: 32 }, (_, i) => [7, 9, 11][i % 3]!)),
      /is not random/,
    ],
    // A passphrase or a hash of a password has enough distinct bytes but no entropy.
    [
      '32 printable ASCII characters (a passphrase)',
      Buffer.from('ThisIsMySuperSecretEncryptionKey').toString('base64'),
      /is not random/,
    ],
    [
      'random printable ASCII (typed, not drawn)',
      () => Buffer.from(Array.from(randomBytes(32), (b) => 0x21 + (b % 94))).toString('base64'),
      /is not random/,
    ],
    ['sha256("password")', createHash('sha256').update('password').digest(), /is not random/],
    [
      'sha256("changeme\\n") (echo | sha256sum)',
      createHash('sha256').update('changeme\n').digest(),
      /is not random/,
    ],
  ])('refuses %s, saying how to generate a key', (_what, key, message) => {
    const value = typeof key === 'function' ? key() : key;
    let error: unknown;
    try {
      new Keyring([{ id: 'k1', key: value }]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidEncryptionKeysError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain('openssl rand -base64 32');
    expect((error as Error).message).toContain('"k1"');
    if (typeof value === 'string' && value.length > 8) expect((error as Error).message).not.toContain(value);
  });

  it('accepts 10 000 random keys (the printable and password checks do not catch real keys)', () => {
    for (let i = 0; i < 10_000; i++)
      expect(new Keyring([{ id: 'a', key: randomBytes(32) }]).keyIds).toEqual(['a']);
  });
});
