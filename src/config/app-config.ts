/**
 * The example app's environment, validated once at start-up. Every variable is listed in the README.
 * Errors name the variable and the fix; values of secrets are never echoed.
 */
export interface AppConfig {
  port: number;
  production: boolean;
  databaseUrl?: string;
  /** Where the embedded database and the generated development secrets live. */
  dataDir: string;
  encryptionKeys?: string;
  /**
   * Pins the key that encrypts new values (SIGNING_AUTH_ACTIVE_KEY_ID); default: the first key. Lets a rolling
   * deploy add a key for decryption first and make it active in a later deploy (docs/reliability.md).
   */
  activeKeyId?: string;
  adminTokens?: string[];
  publicUrl: string;
  /** Origins a connect session's returnUrl may point to (SIGNING_AUTH_CONNECT_RETURN_ORIGINS, comma-separated). */
  connectReturnOrigins?: string[];
  sweepCron?: string;
  /**
   * SIGNING_AUTH_DEMO (set by `npm run demo`): local stand-ins for the providers and a ready tenant
   * (src/demo/). Refused with NODE_ENV=production.
   */
  demo: boolean;
  hosts: {
    docusignOAuthUrl?: string;
    formstackAuthUrl?: string;
    signicatUrl?: string;
    docspringApiUrl?: string;
  };
}

export class AppConfigError extends Error {
  override readonly name = 'AppConfigError';
}

/** What the process serves: a CLI command (sweep, key rotation, migrations) serves no admin API. */
export interface AppConfigNeeds {
  /** Whether admin tokens are needed (production refuses to start without them). Default: `true`. */
  adminApi?: boolean;
}

export function validateAppConfig(env: Record<string, unknown>, needs: AppConfigNeeds = {}): AppConfig {
  const adminApi = needs.adminApi ?? true;
  const str = (name: string): string | undefined => {
    const value = env[name];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const production = str('NODE_ENV') === 'production';
  const port = parsePort(str('PORT'));
  const encryptionKeys = str('SIGNING_AUTH_ENCRYPTION_KEYS');
  const activeKeyId = str('SIGNING_AUTH_ACTIVE_KEY_ID');
  if (activeKeyId !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(activeKeyId)) {
    throw new AppConfigError(
      'SIGNING_AUTH_ACTIVE_KEY_ID must be a key id (1-32 letters, digits, "_" or "-") from SIGNING_AUTH_ENCRYPTION_KEYS.',
    );
  }
  const adminTokens = str('SIGNING_AUTH_ADMIN_TOKENS')
    ?.split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (production) {
    const missing = [
      !encryptionKeys && 'SIGNING_AUTH_ENCRYPTION_KEYS (id:base64key,... — the first key is active)',
      adminApi &&
        !adminTokens?.length &&
        'SIGNING_AUTH_ADMIN_TOKENS (comma-separated bearer tokens for the admin API)',
    ].filter(Boolean);
    if (missing.length > 0) {
      throw new AppConfigError(
        `NODE_ENV=production needs explicit secrets; set ${missing.join(' and ')}. ` +
          'Development keys are generated only outside production.',
      );
    }
  }
  const demo = parseDemo(str('SIGNING_AUTH_DEMO'));
  if (demo && production) {
    throw new AppConfigError(
      'SIGNING_AUTH_DEMO (npm run demo) starts stand-in providers and is refused with NODE_ENV=production.',
    );
  }
  // The library refuses these too, but only once the modules load (with a stack trace): say it first, plainly.
  if (production && adminApi && adminTokens?.some((token) => token.length < 32)) {
    throw new AppConfigError(
      'SIGNING_AUTH_ADMIN_TOKENS: every admin token must be at least 32 random characters in production; make one ' +
        `with: node -p "require('crypto').randomBytes(32).toString('base64url')"`,
    );
  }
  const sweepCron = str('SIGNING_AUTH_SWEEP_CRON');
  if (sweepCron && !/^(\S+\s+){4,5}\S+$/.test(sweepCron)) {
    throw new AppConfigError(
      `SIGNING_AUTH_SWEEP_CRON must be a cron expression of 5 or 6 fields (seconds first), e.g. "*/5 * * * * *".`,
    );
  }
  return {
    port,
    production,
    databaseUrl: url('DATABASE_URL', str('DATABASE_URL'), ['postgres:', 'postgresql:']),
    dataDir: str('SIGNING_AUTH_DATA_DIR') ?? '.data',
    encryptionKeys,
    activeKeyId,
    adminTokens,
    publicUrl: (
      url('SIGNING_AUTH_PUBLIC_URL', str('SIGNING_AUTH_PUBLIC_URL')) ?? `http://localhost:${port}`
    ).replace(/\/+$/, ''),
    connectReturnOrigins: str('SIGNING_AUTH_CONNECT_RETURN_ORIGINS')
      ?.split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    sweepCron,
    demo,
    hosts: {
      docusignOAuthUrl: url('SIGNING_AUTH_DOCUSIGN_OAUTH_URL', str('SIGNING_AUTH_DOCUSIGN_OAUTH_URL')),
      formstackAuthUrl: url('SIGNING_AUTH_FORMSTACK_AUTH_URL', str('SIGNING_AUTH_FORMSTACK_AUTH_URL')),
      signicatUrl: url('SIGNING_AUTH_SIGNICAT_URL', str('SIGNING_AUTH_SIGNICAT_URL')),
      docspringApiUrl: url('SIGNING_AUTH_DOCSPRING_API_URL', str('SIGNING_AUTH_DOCSPRING_API_URL')),
    },
  };
}

function parseDemo(value: string | undefined): boolean {
  if (value === undefined || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new AppConfigError('SIGNING_AUTH_DEMO must be 1 or true (0, false or unset: off).');
}

function parsePort(value: string | undefined): number {
  if (value === undefined) return 3000;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AppConfigError(`PORT must be an integer between 0 and 65535, got "${value}".`);
  }
  return port;
}

function url(name: string, value: string | undefined, protocols = ['http:', 'https:']): string | undefined {
  if (value === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new AppConfigError(`${name} must be a URL (${protocols.join(' or ')}//...).`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new AppConfigError(`${name} must use ${protocols.join(' or ')}, got ${parsed.protocol}`);
  }
  return protocols.includes('http:') ? value.replace(/\/+$/, '') : value;
}
