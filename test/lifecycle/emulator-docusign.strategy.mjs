/* global fetch, URLSearchParams */
// A small DocuSign authorization-code strategy (refresh only) that talks to the DocuSign emulator. Plain
// JavaScript so the multi-process workers (plain Node) and the Jest tests share one implementation.
// `ProviderFailure` is passed in so `instanceof` works against whichever copy of the library loaded it.

const DAY_MS = 86_400_000;

export class EmulatorDocuSignStrategy {
  /** @param {{ oauthUrl: string, ProviderFailure: any, refreshTokenLifetimeMs?: number, id?: string }} options */
  constructor(options) {
    this.id = options.id ?? 'docusign';
    this.options = options;
    this.refreshCalls = 0;
  }

  validate(input) {
    const config = input.config ?? {};
    const secrets = input.secrets ?? {};
    return {
      config: { integrationKey: String(config.integrationKey) },
      secrets: { secretKey: String(secrets.secretKey) },
      grantType: 'authorization_code',
      scopes: ['signature', 'extended'],
    };
  }

  usesAuthorizationCode() {
    return true;
  }

  async refresh(connection, context) {
    this.refreshCalls++;
    const { ProviderFailure } = this.options;
    const basic = Buffer.from(`${connection.config.integrationKey}:${connection.secrets.secretKey}`).toString(
      'base64',
    );
    let res;
    try {
      res = await fetch(`${this.options.oauthUrl}/oauth/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: connection.refreshToken ?? '',
        }),
        signal: context.signal,
      });
    } catch (error) {
      throw new ProviderFailure('transient', `network error: ${error.name}`);
    }
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      const retryAfter = res.headers.get('retry-after');
      const details = { code: body.error, httpStatus: res.status };
      if (retryAfter) details.retryAfterMs = Number(retryAfter) * 1000;
      if (res.status === 400 && body.error === 'invalid_grant') {
        throw new ProviderFailure('needs_reauth', 'the refresh token was refused', details);
      }
      throw new ProviderFailure('transient', `HTTP ${res.status}`, details);
    }
    const now = context.now().getTime();
    return {
      accessToken: body.access_token,
      tokenType: body.token_type,
      expiresAt: new Date(now + body.expires_in * 1000),
      refreshToken: body.refresh_token,
      refreshTokenExpiresAt: new Date(now + (this.options.refreshTokenLifetimeMs ?? 30 * DAY_MS)),
    };
  }

  authorizationHeader(grant) {
    return `${grant.tokenType} ${grant.accessToken}`;
  }
}
