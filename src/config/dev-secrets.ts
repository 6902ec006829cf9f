import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { AppConfig } from './app-config.js';

export interface AppSecrets {
  encryptionKeys: string;
  /** Undefined: the first of `encryptionKeys` is active. */
  activeKeyId?: string;
  adminTokens: string[];
}

/** `<dataDir>/dev-secrets.json`. `keys:add` (src/cli/keys-add.ts) edits it; a hand edit works the same. */
export interface DevSecretsFile {
  /** `id:base64key,...` like SIGNING_AUTH_ENCRYPTION_KEYS. */
  encryptionKeys: string;
  /** Optional: the key that encrypts new values; default the first of `encryptionKeys`. */
  activeKeyId?: string;
  adminToken: string;
}

/** `dev-secrets.json` is missing where it must exist, unreadable, or cannot take the change asked for. */
export class DevSecretsError extends Error {
  override readonly name = 'DevSecretsError';
}

export function devSecretsPath(config: AppConfig): string {
  return join(config.dataDir, 'dev-secrets.json');
}

export function readDevSecrets(file: string): DevSecretsFile {
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as DevSecretsFile;
  } catch {
    // JSON.parse's message quotes the file (a key, a token): say which file, nothing of its content.
    throw new DevSecretsError(
      `${file} is not valid JSON: fix or delete it (deleting it loses access to stored secrets).`,
    );
  }
}

/**
 * Secrets from the environment when given (in any mode); otherwise, outside production, a development key
 * and admin token generated once and kept in `<dataDir>/dev-secrets.json` (mode 0600), so a restart can
 * still decrypt what it stored. The example app's start banner shows the development admin token.
 */
export function loadAppSecrets(config: AppConfig, needs: { adminApi?: boolean } = {}): AppSecrets {
  const logger = new Logger('DevSecrets');
  const file = devSecretsPath(config);
  const adminApi = needs.adminApi ?? true;
  let dev: DevSecretsFile | undefined;
  // A command that serves no admin API (the sweep job) needs no admin token: with keys in the
  // environment it never reads or creates the development file.
  if (!config.encryptionKeys || (adminApi && !config.adminTokens?.length)) {
    if (existsSync(file)) {
      dev = readDevSecrets(file);
    } else {
      mkdirSync(config.dataDir, { recursive: true });
      dev = {
        encryptionKeys: `dev:${randomBytes(32).toString('base64')}`,
        adminToken: randomBytes(24).toString('base64url'),
      };
      writeFileSync(file, JSON.stringify(dev, null, 2), { mode: 0o600 });
      // The key is not printed: a log line outlives the file it would unlock (log archives, CI output).
      // Whoever needs it reads the file, which is mode 0600.
      logger.warn(
        `Generated a DEVELOPMENT encryption key and admin token; they are kept in ${file} (mode 0600; ` +
          'never use them in production, and keep that file out of backups you share).',
      );
    }
  }
  const secrets = {
    encryptionKeys: config.encryptionKeys ?? dev!.encryptionKeys,
    // The environment wins; the file's pin only applies to the file's keys.
    activeKeyId: config.activeKeyId ?? (config.encryptionKeys ? undefined : dev?.activeKeyId),
    adminTokens: config.adminTokens?.length ? config.adminTokens : adminApi ? [dev!.adminToken] : [],
  };
  return secrets;
}
