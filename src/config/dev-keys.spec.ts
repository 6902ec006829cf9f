import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateAppConfig } from './app-config.js';
import { addDevKey, keyIdsOf } from './dev-keys.js';
import { devSecretsPath, loadAppSecrets } from './dev-secrets.js';

describe('development keys (keys:add on .data/dev-secrets.json)', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'sa-dev-keys-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const secrets = (env: Record<string, string> = {}) =>
    loadAppSecrets(validateAppConfig({ SIGNING_AUTH_DATA_DIR: dataDir, ...env }));

  it('adds a decrypt-only key that the app honours, then one that is active', () => {
    const first = secrets();
    const [devId] = keyIdsOf(first.encryptionKeys);
    const file = devSecretsPath(validateAppConfig({ SIGNING_AUTH_DATA_DIR: dataDir }));

    const added = addDevKey(file, { id: 'k2', activate: false });
    expect(added).toMatchObject({ id: 'k2', activeKeyId: devId, keyIds: ['k2', devId] });
    expect(secrets()).toMatchObject({ activeKeyId: devId });
    expect(keyIdsOf(secrets().encryptionKeys)).toEqual(['k2', devId]);

    addDevKey(file, { id: 'k3', activate: true });
    expect(secrets()).toMatchObject({ activeKeyId: 'k3' });
    expect(keyIdsOf(secrets().encryptionKeys)).toEqual(['k3', 'k2', devId]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The admin token is kept.
    expect(JSON.parse(readFileSync(file, 'utf8')).adminToken).toBe(first.adminTokens[0]);
  });

  it('refuses an id already in the file or an invalid one', () => {
    secrets();
    const file = devSecretsPath(validateAppConfig({ SIGNING_AUTH_DATA_DIR: dataDir }));
    expect(() => addDevKey(file, { id: 'dev', activate: true })).toThrow(/already has a key "dev"/);
    expect(() => addDevKey(file, { id: 'a.b', activate: true })).toThrow(/invalid/);
  });

  it('SIGNING_AUTH_ENCRYPTION_KEYS wins over the file, with its own SIGNING_AUTH_ACTIVE_KEY_ID', () => {
    secrets();
    const file = devSecretsPath(validateAppConfig({ SIGNING_AUTH_DATA_DIR: dataDir }));
    addDevKey(file, { id: 'k2', activate: true });
    const key = Buffer.alloc(32, 1).toString('base64');
    expect(secrets({ SIGNING_AUTH_ENCRYPTION_KEYS: `a:${key},b:${key}` }).activeKeyId).toBeUndefined();
    expect(
      secrets({ SIGNING_AUTH_ENCRYPTION_KEYS: `a:${key},b:${key}`, SIGNING_AUTH_ACTIVE_KEY_ID: 'b' })
        .activeKeyId,
    ).toBe('b');
    expect(() => validateAppConfig({ SIGNING_AUTH_ACTIVE_KEY_ID: 'no way' })).toThrow(
      /SIGNING_AUTH_ACTIVE_KEY_ID/,
    );
  });
});
