import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { TokenService } from '../tokens/token.service.js';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { ConnectionCipher } from '../connections/connection-cipher.js';
import { ConnectionNotFoundError } from '../connections/connection.errors.js';
import { ConnectionRepository } from '../connections/connection.repository.js';
import { DocSpringStrategy } from '../providers/docspring/docspring.strategy.js';
import { ProviderFailure } from '../providers/provider.errors.js';
import { joinUrl } from '../providers/shared/base.strategy.js';
import { ProviderHttpClient } from '../providers/shared/provider-http.client.js';
import { StrategyRegistry } from '../providers/strategy-registry.js';
import { withDeadline } from '../common/deadline.js';
import {
  DocSpringCredentialsError,
  DocSpringDataRequestNotFoundError,
  DocSpringInvalidTokenTypeError,
} from './docspring.errors.js';

/** `api`: expires in 1 hour (embedded forms). `email`: 30 days (links in emails). @publicApi */
export type DocSpringDataRequestTokenType = 'api' | 'email';

/** A data-request token: give `id` and `secret` to DocSpring's embedded form, or send `dataRequestUrl`. @publicApi */
export interface DocSpringDataRequestToken {
  id: string;
  secret: string;
  /** ISO 8601, as DocSpring sent it. */
  expiresAt: string;
  dataRequestUrl: string;
}

const PROVIDER = 'docspring';

/**
 * Creates DocSpring data-request authentication tokens
 * (`POST /api/v1/data_requests/{id}/tokens?type=`) with the tenant's DocSpring connection.
 * @publicApi
 */
@Injectable()
export class DocSpringDataRequestService implements OnApplicationShutdown {
  private readonly http: ProviderHttpClient;

  constructor(
    private readonly connections: ConnectionRepository,
    private readonly cipher: ConnectionCipher,
    private readonly strategies: StrategyRegistry,
    private readonly tokens: TokenService,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {
    this.http = new ProviderHttpClient(options.refresh.providerTimeoutMs);
  }

  /** Closes the keep-alive sockets to DocSpring. */
  onApplicationShutdown(): void {
    this.http.close();
  }

  /**
   * @throws ConnectionNotFoundError, DocSpringCredentialsError (401), DocSpringDataRequestNotFoundError (404),
   *   DocSpringInvalidTokenTypeError (422), ProviderFailure (outage, timeout, unexpected answer)
   */
  async createToken(
    tenantId: string,
    dataRequestId: string,
    options: { type?: DocSpringDataRequestTokenType } = {},
  ): Promise<DocSpringDataRequestToken> {
    const row = await this.connections.findOne(tenantId, PROVIDER);
    if (!row) throw new ConnectionNotFoundError(tenantId, PROVIDER);
    const connection = this.cipher.decryptRow(row);
    const strategy = this.strategies.get(PROVIDER);
    // Through TokenService, so a disabled or needs_reauth connection is refused like any other use.
    const authorization = await this.tokens.getAuthorizationHeader(tenantId, PROVIDER);
    // A replaced DocSpring strategy may use another host; the built-in one knows the region's.
    const base =
      strategy instanceof DocSpringStrategy
        ? strategy.apiBaseUrl(connection)
        : (this.options.hosts.docspringApiUrl ?? 'https://sync.api.docspring.com');
    const type = options.type ?? 'api';
    const url = `${joinUrl(base, `/api/v1/data_requests/${encodeURIComponent(dataRequestId)}/tokens`)}?type=${encodeURIComponent(type)}`;
    try {
      const body = await withDeadline(this.options.refresh.providerTimeoutMs, (signal) =>
        this.http.request(
          { method: 'POST', url, authorization, okStatuses: [200, 201] },
          { signal, now: this.options.clock },
          {
            provider: PROVIDER,
            tenantId,
            operation: 'data-request token',
            secrets: [connection.secrets.tokenSecret, authorization.slice(authorization.indexOf(' ') + 1)],
          },
        ),
      );
      return parseToken(body, tenantId);
    } catch (error) {
      if (!(error instanceof ProviderFailure)) throw error;
      const message = error.details.description;
      switch (error.details.httpStatus) {
        case 401:
          throw new DocSpringCredentialsError(tenantId, dataRequestId, message);
        case 404:
          throw new DocSpringDataRequestNotFoundError(tenantId, dataRequestId, message);
        case 422:
          throw new DocSpringInvalidTokenTypeError(tenantId, dataRequestId, message);
        default:
          throw error;
      }
    }
  }
}

function parseToken(body: Record<string, unknown>, tenantId: string): DocSpringDataRequestToken {
  const token = (body.token ?? {}) as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
  const id = str(token.id);
  const secret = str(token.secret);
  const expiresAt = str(token.expires_at);
  const dataRequestUrl = str(token.data_request_url);
  if (!id || !secret || !expiresAt || !dataRequestUrl) {
    throw new ProviderFailure(
      'transient',
      `docspring data-request token for tenant "${tenantId}": the answer lacks token id, secret, expires_at or data_request_url`,
      { code: 'invalid_response' },
    );
  }
  return { id, secret, expiresAt, dataRequestUrl };
}
