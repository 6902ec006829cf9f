import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SigningAuthModule } from './signing-auth.module.js';
import { SIGNING_AUTH_MODULE_OPTIONS } from './signing-auth.module-definition.js';

const goodKey = () => ({ id: 'k1', key: randomBytes(32).toString('base64') });

@Injectable()
class AllowAllGuard {
  canActivate() {
    return true;
  }
}

describe('SigningAuthModule.forRoot() validation', () => {
  it.each([
    [{ encryptionKeys: [] }, /no encryption keys configured/],
    [{ encryptionKeys: '' }, /no encryption keys configured/],
    [
      { encryptionKeys: [{ id: 'k1', key: randomBytes(31) }] },
      /"k1" is 31 bytes; AES-256 needs exactly 32 bytes/,
    ],
    [{ encryptionKeys: [goodKey(), goodKey()] }, /"k1" appears twice/],
    [{ encryptionKeys: [goodKey()], activeKeyId: 'k9' }, /activeKeyId "k9" is not among the configured keys/],
    [{ encryptionKeys: [goodKey()], adminApi: true }, /admin API is on .* but nothing guards it/],
    [
      { encryptionKeys: [goodKey()], refresh: { leaseSeconds: 5, providerTimeoutMs: 10_000 } },
      /providerTimeoutMs \(10000\) must be positive and leave at least 2000 ms of refresh.leaseSeconds/,
    ],
    // A timeout that fits inside the lease but leaves no room for the write-back or a pause.
    [
      { encryptionKeys: [goodKey()], refresh: { leaseSeconds: 30, providerTimeoutMs: 25_000 } },
      /leave at least 6000 ms of refresh.leaseSeconds \(30 s\) free.*at most 24000/,
    ],
  ])('refuses bad options with a message that names the fix (%#)', (options, message) => {
    expect(() => SigningAuthModule.forRoot(options as never)).toThrow(message);
  });

  it('accepts good options and makes a global module with the options provider', () => {
    const definition = SigningAuthModule.forRoot({
      encryptionKeys: [goodKey()],
      adminApi: true,
      admin: { guard: AllowAllGuard },
    });
    expect(definition.global).toBe(true);
    expect(definition.providers).toEqual(
      expect.arrayContaining([expect.objectContaining({ provide: SIGNING_AUTH_MODULE_OPTIONS })]),
    );
  });

  it('can be registered non-globally', () => {
    expect(SigningAuthModule.forRoot({ encryptionKeys: [goodKey()], isGlobal: false }).global).toBe(false);
  });
});
