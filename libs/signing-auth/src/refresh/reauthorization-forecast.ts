import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { queryRows } from '../common/query-rows.js';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { SIGNING_AUTH_DATA_SOURCE } from '../common/tokens.js';
import type { ConnectionEntity } from '../connections/connection.entity.js';
import { SigningAuthEventBus } from '../events/event-bus.js';
import { SigningAuthEvent } from '../events/signing-auth.events.js';

/**
 * Grants whose refresh token has a fixed end, whatever the library does: DocuSign's authorization-code
 * grant without the `extended` scope keeps the first refresh token's absolute expiry through every refresh
 * (providers.md §1.4). The SQL below says the same; keep the two in step.
 * @internal
 */
export function hasFixedRefreshTokenEnd(
  row: Pick<ConnectionEntity, 'provider' | 'grantType' | 'scopes'>,
): boolean {
  return (
    row.provider === 'docusign' &&
    row.grantType === 'authorization_code' &&
    !(row.scopes ?? []).includes('extended')
  );
}

const FIXED_END_SQL = `"provider" = 'docusign' AND "grant_type" = 'authorization_code'
  AND NOT ("scopes" @> '["extended"]'::jsonb)`;

/**
 * The re-consent forecast: once per fixed refresh-token end, `reauthorizationNoticeDays` before it, emits
 * `connection.reauthorization_due` (one replica wins the conditional update, so one event per expiry).
 * @internal
 */
@Injectable()
export class ReauthorizationForecast {
  constructor(
    @Inject(SIGNING_AUTH_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly events: SigningAuthEventBus,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  /** Emits the notices now due; returns how many. */
  async notifyDue(now: Date): Promise<number> {
    const horizon = new Date(now.getTime() + this.options.refresh.reauthorizationNoticeDays * 86_400_000);
    const rows = await queryRows(
      this.dataSource,
      `UPDATE "signing_auth_connections" SET "metadata" = "metadata" || jsonb_build_object(
           'reauthorizationNoticeFor', to_json("refresh_token_expires_at"))
       WHERE ${FIXED_END_SQL}
         AND "status" IN ('active', 'error')
         AND "refresh_token_expires_at" IS NOT NULL AND "refresh_token_expires_at" <= $1
         AND ("metadata" -> 'reauthorizationNoticeFor') IS DISTINCT FROM to_jsonb("refresh_token_expires_at")
       RETURNING "tenant_id", "provider", "refresh_token_expires_at"`,
      [horizon],
    );
    for (const r of rows) {
      const at =
        r.refresh_token_expires_at instanceof Date
          ? r.refresh_token_expires_at
          : new Date(String(r.refresh_token_expires_at));
      this.events.emit(SigningAuthEvent.ReauthorizationDue, {
        tenantId: String(r.tenant_id),
        provider: String(r.provider),
        reauthorizeBy: at.toISOString(),
        daysLeft: Math.max(0, Math.floor((at.getTime() - now.getTime()) / 86_400_000)),
      });
    }
    return rows.length;
  }
}
