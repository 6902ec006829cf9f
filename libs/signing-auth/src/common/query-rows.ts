import type { DataSource } from 'typeorm';

/** A row as the driver returns it. @internal */
export type Row = Record<string, unknown>;

/**
 * A query failed. Carries the database's message (with any value it quotes withheld, see
 * {@link withheldValues}) and SQLSTATE code only: TypeORM's own `QueryFailedError` keeps the query's
 * parameters, which here include ciphertexts of tokens and secrets, and would hand them to whoever logs or
 * serialises the error.
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
    throw new SigningAuthDatabaseError(withheldValues(message ?? 'unknown error', code), code);
  }
}

const WITHHELD = '"[value withheld]"';

/**
 * PostgreSQL's message without the values it quotes. Data exceptions (SQLSTATE class 22) end with the
 * offending input (`invalid input syntax for type uuid: "…"`), which here can be a ciphertext or whatever a
 * tenant sent; other messages quote identifiers (a constraint, a column), which help and are kept, and are
 * never longer than 63 bytes, so a longer quoted run is a value and is withheld too.
 * @internal
 */
export function withheldValues(message: string, code?: string): string {
  let text = message.length > 1_000 ? `${message.slice(0, 1_000)}…` : message;
  if (code?.startsWith('22')) text = text.replace(/: ".*"?$/s, `: ${WITHHELD}`);
  return text.replace(/"[^"]{64,}"?/g, WITHHELD);
}
