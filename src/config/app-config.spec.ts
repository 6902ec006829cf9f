import { AppConfigError, validateAppConfig } from './app-config.js';

/** Admin tokens in production are long, and only the web app needs them. */
describe('example app configuration in production', () => {
  const key = `k1:${Buffer.alloc(32, 7).toString('base64')}`; // only parsed by the library, not here
  const production = { NODE_ENV: 'production', SIGNING_AUTH_ENCRYPTION_KEYS: key };

  it('refuses an admin token shorter than 32 characters, saying how to make one and quoting none', () => {
    const run = () =>
      validateAppConfig({ ...production, SIGNING_AUTH_ADMIN_TOKENS: `${'x'.repeat(32)},short-one` });
    expect(run).toThrow(AppConfigError);
    expect(run).toThrow(/at least 32 random characters.*randomBytes\(32\)/);
    expect(run).not.toThrow(/short-one/);
  });

  it('accepts 32 characters; CLI commands (no admin API) need no admin token at all', () => {
    expect(
      validateAppConfig({ ...production, SIGNING_AUTH_ADMIN_TOKENS: 'x'.repeat(32) }).adminTokens,
    ).toEqual(['x'.repeat(32)]);
    expect(() => validateAppConfig(production)).toThrow(/SIGNING_AUTH_ADMIN_TOKENS/);
    expect(validateAppConfig(production, { adminApi: false }).adminTokens).toBeUndefined();
  });
});
