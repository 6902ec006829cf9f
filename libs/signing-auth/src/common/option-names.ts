/**
 * The example app's environment variable for a module option, where it has one. Messages that tell a
 * person to change an option name both knobs ("the `hosts.docspringApiUrl` option; in the example app
 * `SIGNING_AUTH_DOCSPRING_API_URL`"): the library reads no environment, but most people meet it through
 * the example app first, and a message read on the Connect page or in `lastError` cannot be rewritten by
 * the app after it was stored. The names are fixed by the design (scripts use them); a test checks each
 * one against the example app's configuration and the options reference (docs/decisions/028-…).
 * @internal
 */
export const EXAMPLE_APP_VARIABLES: Readonly<Record<string, string>> = {
  encryptionKeys: 'SIGNING_AUTH_ENCRYPTION_KEYS',
  activeKeyId: 'SIGNING_AUTH_ACTIVE_KEY_ID',
  publicUrl: 'SIGNING_AUTH_PUBLIC_URL',
  'admin.tokens': 'SIGNING_AUTH_ADMIN_TOKENS',
  'sweep.cron': 'SIGNING_AUTH_SWEEP_CRON',
  'hosts.docusignOAuthUrl': 'SIGNING_AUTH_DOCUSIGN_OAUTH_URL',
  'hosts.formstackAuthUrl': 'SIGNING_AUTH_FORMSTACK_AUTH_URL',
  'hosts.signicatUrl': 'SIGNING_AUTH_SIGNICAT_URL',
  'hosts.docspringApiUrl': 'SIGNING_AUTH_DOCSPRING_API_URL',
  developmentMode: 'NODE_ENV',
};

/** "`key`", followed by " (in the example app `VARIABLE`)" when the example app has one. @internal */
export function optionName(key: string): string {
  const variable = EXAMPLE_APP_VARIABLES[key];
  return variable ? `\`${key}\` (in the example app \`${variable}\`)` : `\`${key}\``;
}

/** "; in the example app VARIABLE" when the example app has one for this option, else "". @internal */
export function inExampleApp(key: string): string {
  const variable = EXAMPLE_APP_VARIABLES[key];
  return variable ? `; in the example app ${variable}` : '';
}
