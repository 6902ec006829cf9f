import type pg from 'pg';
import type { ConnectionsService, TokenService } from 'signing-auth';

/** The providers and statuses the copied rows are spread over (the unique key is tenant + provider). */
const PROVIDERS = ['oauth2', 'docusign', 'docspring', 'signicat', 'formstack-sign'];

/**
 * Connections made through the public API, each verified against the token endpoint on save and with a
 * cached token: `api-<i>` tenants, generic OAuth 2.0 (client credentials). These decrypt.
 */
export async function createThroughApi(
  connections: ConnectionsService,
  tokens: TokenService,
  endpoint: { tokenUrl: string; apiBase: string },
  count: number,
  parallel = 8,
): Promise<string[]> {
  const tenants = Array.from({ length: count }, (_, i) => `api-${i}`);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      await connections.upsert(tenants[i], 'oauth2', {
        config: {
          tokenUrl: endpoint.tokenUrl,
          apiBaseUrls: [endpoint.apiBase],
          clientId: `client-${i}`,
          grant: 'client_credentials',
        },
        secrets: { clientSecret: `secret-${i}` },
      });
      await tokens.getAccessToken(tenants[i], 'oauth2');
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return tenants;
}

/**
 * Copies the rows made through the API in SQL until the table holds `total` rows: `copy-<g / 5>` tenants
 * over five providers, 94 % active, 1 % error (a fifth of them unprocessable), 2 % needs_reauth, 1 %
 * pending, 2 % disabled; of the active and failing rows 1 % are due now, the rest within 8 hours.
 * The ciphertexts are copied as they are: their associated data binds them to (tenant, provider, field),
 * so a copied row does not decrypt. Claims, counts and lists never decrypt, so that is fine for them.
 */
export async function copyToTotal(client: pg.Client, total: number): Promise<number> {
  const [{ n }] = (await client.query(`SELECT count(*)::int AS n FROM signing_auth_connections`)).rows as [
    { n: number },
  ];
  const copies = total - n;
  await client.query(`CREATE TEMP TABLE seed AS
    SELECT row_number() OVER (ORDER BY id) - 1 AS k, * FROM signing_auth_connections`);
  await client.query(
    `INSERT INTO signing_auth_connections ("id", "tenant_id", "provider", "status", "grant_type", "scopes",
       "config", "secrets_ciphertext", "access_token_ciphertext", "token_type", "refresh_token_ciphertext",
       "access_token_expires_at", "last_refreshed_at", "next_refresh_at", "last_used_at", "failure_count",
       "last_error", "metadata", "version")
     SELECT gen_random_uuid(), 'copy-' || (g / 5), ($3::text[])[g % 5 + 1], st.status, s.grant_type, s.scopes,
       s.config, s.secrets_ciphertext, s.access_token_ciphertext, s.token_type, s.refresh_token_ciphertext,
       now() + interval '8 hours' * random(), now() - interval '1 hour',
       CASE WHEN st.status NOT IN ('active', 'error') THEN NULL
            WHEN (g::bigint * 104729) % 100 = 0 THEN now() - interval '1 minute' * (1 + random() * 60)
            ELSE now() + interval '8 hours' * random() END,
       now() - interval '48 hours' * random(),
       CASE WHEN st.status = 'error' THEN 1 ELSE 0 END,
       CASE WHEN st.status <> 'error' THEN NULL
            WHEN st.h < 942 THEN 'unprocessable: stored under key id "retired", which is not in the keyring'
            ELSE 'provider answered 503' END,
       s.metadata, 1
       FROM generate_series(0, $1::int - 1) AS g
       JOIN seed s ON s.k = g % $2
       CROSS JOIN LATERAL (SELECT (g::bigint * 7919) % 1000 AS h) hh
       CROSS JOIN LATERAL (SELECT hh.h, CASE WHEN hh.h < 940 THEN 'active' WHEN hh.h < 950 THEN 'error'
         WHEN hh.h < 970 THEN 'needs_reauth' WHEN hh.h < 980 THEN 'pending' ELSE 'disabled' END AS status) st`,
    [copies, n, PROVIDERS],
  );
  await client.query(`DROP TABLE seed`);
  await client.query(`VACUUM ANALYZE signing_auth_connections`);
  return copies;
}
