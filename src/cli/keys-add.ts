import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { validateAppConfig } from '../config/app-config.js';
import { addDevKey, generateKeyEntry, keyIdsOf } from '../config/dev-keys.js';
import { DevSecretsError, devSecretsPath } from '../config/dev-secrets.js';
import { CliUsageError, EXIT, runCommand } from './cli-runner.js';

/**
 * `npm run keys:add [-- --id ID] [--activate]`: a new encryption key, for the rotation order that a rolling
 * deploy survives (docs/reliability.md, "Key rotation"): add for decryption → switch active → rotate → remove.
 *
 * - Development (no SIGNING_AUTH_ENCRYPTION_KEYS): edits `<dataDir>/dev-secrets.json`, which the app and
 *   `keys:rotate` read. Without `--activate` the new key only decrypts; with it, it encrypts new values.
 * - With SIGNING_AUTH_ENCRYPTION_KEYS set: writes nothing, prints the new entry and the values for each deploy.
 * Exit codes: cli-runner.ts's EXIT (2: did not run, one line says why).
 */
await runCommand('keys:add', async () => {
  const values = parseOptions();
  const config = validateAppConfig(process.env, { adminApi: false });
  if (!config.encryptionKeys) {
    const file = devSecretsPath(config);
    if (!existsSync(file)) {
      throw new DevSecretsError(
        `${file} does not exist yet: start the app once (npm start) to generate the development keys, ` +
          'or set SIGNING_AUTH_ENCRYPTION_KEYS to get the steps for your own keys.',
      );
    }
    const added = addDevKey(file, { id: values.id, activate: values.activate });
    // The embedded database takes one process at a time: the app must be stopped while keys:rotate runs.
    const rotate = config.databaseUrl
      ? 'restart the app (it reads the keys at start), then run `npm run keys:rotate` (the app may keep running)'
      : 'stop the app if it runs, run `npm run keys:rotate`, then start the app again (the embedded ' +
        'database takes one process at a time)';
    process.stdout.write(
      `Added key "${added.id}" to ${file}; keys: ${added.keyIds.join(', ')}; active: "${added.activeKeyId}".\n` +
        (values.activate
          ? `Next: ${rotate}.\n`
          : `It only decrypts for now. To encrypt with it: set "activeKeyId": "${added.id}" in ${file}, then ${rotate}.\n`),
    );
    return EXIT.ok;
  }
  const { id, entry } = generateKeyEntry(values.id);
  const oldIds = keyIdsOf(config.encryptionKeys);
  const active = config.activeKeyId ?? oldIds[0];
  // Printed on purpose: this command exists to hand the operator a new key for their secret store.
  process.stdout.write(
    `New key "${id}" (store it like the others, never in the repository):\n  ${entry}\n\n` +
      `1. Deploy everywhere: SIGNING_AUTH_ENCRYPTION_KEYS=${id}:<new>,<current list>  SIGNING_AUTH_ACTIVE_KEY_ID=${active}\n` +
      `2. Then deploy everywhere: remove SIGNING_AUTH_ACTIVE_KEY_ID (the first key, "${id}", becomes active)\n` +
      '3. npm run keys:rotate   (until it reports 0 values left under other keys)\n' +
      `4. Deploy without the old key(s): SIGNING_AUTH_ENCRYPTION_KEYS=${id}:<new>\n`,
  );
  return EXIT.ok;
});

function parseOptions(): { id?: string; activate: boolean } {
  try {
    const { values } = parseArgs({
      options: { id: { type: 'string' }, activate: { type: 'boolean', default: false } },
    });
    return values;
  } catch (error) {
    throw new CliUsageError(`${(error as Error).message} (usage: keys:add [--id ID] [--activate])`);
  }
}
