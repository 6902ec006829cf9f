import type { DataSource } from 'typeorm';

/** A row as the driver returns it. @internal */
export type Row = Record<string, unknown>;

/**
 * A query failed. Carries the database's message and SQLSTATE code only: TypeORM's own
 * `QueryFailedError` keeps the query's parameters, which here include ciphertexts of tokens and secrets,
 * and would hand them to whoever logs or serialises the error.
 * @publicApi
 */
export class SigningAuthDatabaseError extends Error {
  override readonly name = 'SigningAuthDatabaseError';

  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(`signing-auth: database query failed: ${message}`);
  }
}

/**
 * Runs one statement and returns its rows, whatever the statement: TypeORM's postgres driver answers
 * `UPDATE/DELETE ... RETURNING` with `[rows, count]` and a SELECT with the rows themselves.
 * @internal
 */
export async function queryRows(dataSource: DataSource, sql: string, params: unknown[] = []): Promise<Row[]> {
  const result = await guardDatabase(() => dataSource.query(sql, params) as Promise<unknown[]>);
  if (!Array.isArray(result)) return [];
  return (Array.isArray(result[0]) ? result[0] : result) as Row[];
}

/**
 * Runs database work (a TypeORM repository call, say) so that whatever fails — a query, or reaching the server
 * at all (`connect ECONNREFUSED`, a pool timeout) — surfaces as {@link SigningAuthDatabaseError}: callers get
 * the library's typed error, never the driver's, and never the parameters it may carry.
 * @internal
 */
export async function guardDatabase<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const { message, code } = (error ?? {}) as { message?: string; code?: string };
    throw new SigningAuthDatabaseError(message ?? 'unknown error', code);
  }
}
