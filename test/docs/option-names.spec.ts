import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EXAMPLE_APP_VARIABLES } from '../../libs/signing-auth/src/common/option-names.js';
import { Keyring } from '../../libs/signing-auth/src/crypto/keyring.js';
import { classifyNetworkFailure } from '../../libs/signing-auth/src/providers/shared/provider-error.classifier.js';

const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
const failure = (provider: string) =>
  classifyNetworkFailure(
    { provider, tenantId: 'acme', operation: 'refresh' },
    refused,
    false,
    'http://127.0.0.1:1/token',
  );

/**
 * Decision 028: a message that tells a person to change a module option also names the example app's
 * environment variable for it, where one exists (decision 028: the library names both; the app cannot
 * rewrite a `lastError` already stored and shown on the Connect page).
 */
describe('messages name the option and the example app variable', () => {
  it.each([
    ['docspring', 'hosts.docspringApiUrl', 'SIGNING_AUTH_DOCSPRING_API_URL'],
    ['signicat', 'hosts.signicatUrl', 'SIGNING_AUTH_SIGNICAT_URL'],
    ['docusign', 'hosts.docusignOAuthUrl', 'SIGNING_AUTH_DOCUSIGN_OAUTH_URL'],
    ['formstack-sign', 'hosts.formstackAuthUrl', 'SIGNING_AUTH_FORMSTACK_AUTH_URL'],
  ])('%s unreachable: names %s and %s', (provider, option, variable) => {
    const { message } = failure(provider);
    expect(message).toContain(option);
    expect(message).toContain(`in the example app ${variable}`);
  });

  it('missing keys: names encryptionKeys and SIGNING_AUTH_ENCRYPTION_KEYS', () => {
    expect(() => new Keyring([])).toThrow(
      /`encryptionKeys` \(in the example app `SIGNING_AUTH_ENCRYPTION_KEYS`\)/,
    );
  });

  it('every variable named is one the example app reads, and the options reference says the same', () => {
    const config = readFileSync(resolve('src/config/app-config.ts'), 'utf8');
    const reference = readFileSync(resolve('docs/reference/options.md'), 'utf8');
    for (const [option, variable] of Object.entries(EXAMPLE_APP_VARIABLES)) {
      expect(config).toContain(`'${variable}'`);
      const row = reference.split('\n').find((line) => line.startsWith(`| \`${option}\` |`));
      expect(row).toBeDefined();
      expect(row!.trimEnd().endsWith(`| \`${variable}\` |`)).toBe(true);
    }
  });
});
