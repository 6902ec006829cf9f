import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, type LoggerService } from '@nestjs/common';
import { validateAppConfig } from './app-config.js';
import { devSecretsPath, loadAppSecrets, type DevSecretsFile } from './dev-secrets.js';

/** The generated development key stays in its file; the log says where, not what. */
describe('development secrets on first start', () => {
  let dataDir: string;
  const lines: string[] = [];
  const capture: LoggerService = {
    log: (m: unknown) => void lines.push(String(m)),
    warn: (m: unknown) => void lines.push(String(m)),
    error: (m: unknown) => void lines.push(String(m)),
    debug: (m: unknown) => void lines.push(String(m)),
    verbose: (m: unknown) => void lines.push(String(m)),
  };
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sa-dev-secrets-'));
    lines.length = 0;
    Logger.overrideLogger(capture);
  });
  afterEach(() => {
    Logger.overrideLogger(false);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('never logs the generated key; the warning names the file that keeps it', () => {
    const config = validateAppConfig({ SIGNING_AUTH_DATA_DIR: dataDir });
    loadAppSecrets(config);
    const file = devSecretsPath(config);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as DevSecretsFile;
    const key = saved.encryptionKeys.split(':')[1]!;
    const logged = lines.join('\n');
    expect(logged).toContain(file);
    expect(logged).toMatch(/DEVELOPMENT/);
    expect(logged).not.toContain(key);
    expect(logged).not.toContain(saved.encryptionKeys);
  });
});
