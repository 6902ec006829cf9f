import { CreateSigningAuthTables1763800000000 } from './1763800000000-create-signing-auth-tables.js';
import { PendingAuthorizationKind1764700000000 } from './1764700000000-pending-authorization-kind.js';
import { ConnectionCounts1765100000000 } from './1765100000000-connection-counts.js';
import { ConnectSessions1766000000000 } from './1766000000000-connect-sessions.js';
import { SealConsentLinks1766100000000 } from './1766100000000-seal-consent-links.js';
import { AppendOnlyCountsAndHotLeases1766200000000 } from './1766200000000-append-only-counts-and-hot-leases.js';

/**
 * Every migration of the library, oldest first. Add them to your DataSource's `migrations` and run them
 * with your usual migration command (or `migrationsRun: true`).
 * @publicApi
 */
export const SIGNING_AUTH_MIGRATIONS = [
  CreateSigningAuthTables1763800000000,
  PendingAuthorizationKind1764700000000,
  ConnectionCounts1765100000000,
  ConnectSessions1766000000000,
  SealConsentLinks1766100000000,
  AppendOnlyCountsAndHotLeases1766200000000,
];
