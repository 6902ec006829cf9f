import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { AppConfig } from './app-config.js';

export interface AppSecrets {
  encryptionKeys: string;
  adminTokens: string[];
}

interface DevSecretsFile {
  encryptionKeys: string;
  adminToken: string;
}

/**
 * Secrets from the environment when given (in any mode); otherwise, outside production, a development key
 * and admin token generated once and kept in `<dataDir>/dev-secrets.json` (mode 0600), so a restart can
 * still decrypt what it stored. The example app's start banner shows the development admin token.
 */
export function loadAppSecrets(config: AppConfig): AppSecrets {
  const logger = new Logger('DevSecrets');
  const file = join(config.dataDir, 'dev-secrets.json');
  let dev: DevSecretsFile | undefined;
  if (!config.encryptionKeys || !config.adminTokens?.length) {
    if (existsSync(file)) {
      try {
        dev = JSON.parse(readFileSync(file, 'utf8')) as DevSecretsFile;
      } catch {
        // JSON.parse's message quotes the file (a key, a token): say which file, nothing of its content.
        throw new Error(
          `${file} is not valid JSON: fix or delete it (deleting it loses access to stored secrets).`,
        );
      }
    } else {
      mkdirSync(config.dataDir, { recursive: true });
      dev = {
        encryptionKeys: `dev:${randomBytes(32).toString('base64')}`,
        adminToken: randomBytes(24).toString('base64url'),
      };
      writeFileSync(file, JSON.stringify(dev, null, 2), { mode: 0o600 });
      logger.warn(
        `Generated a DEVELOPMENT encryption key and admin token in ${file} (never use them in production).\n` +
          `  SIGNING_AUTH_ENCRYPTION_KEYS=${dev.encryptionKeys}`,
      );
    }
  }
  const secrets = {
    encryptionKeys: config.encryptionKeys ?? dev!.encryptionKeys,
    adminTokens: config.adminTokens?.length ? config.adminTokens : [dev!.adminToken],
  };
  return secrets;
}
