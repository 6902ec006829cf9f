import { CreateSigningAuthTables1763800000000 } from './1763800000000-create-signing-auth-tables.js';

/**
 * Every migration of the library, oldest first. Add them to your DataSource's `migrations` and run them
 * with your usual migration command (or `migrationsRun: true`).
 * @publicApi
 */
export const SIGNING_AUTH_MIGRATIONS = [CreateSigningAuthTables1763800000000];
