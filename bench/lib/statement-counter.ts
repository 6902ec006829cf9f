import pg from 'pg';

export interface StatementCount {
  /** Every query sent by any pg client of this process (BEGIN/COMMIT included). */
  statements: number;
  /** Explicit transactions (BEGIN) plus statements sent outside one (each is its own transaction). */
  transactions: number;
}

/**
 * Counts the statements this process sends to PostgreSQL by wrapping `pg.Client#query`, which TypeORM's
 * pool clients and the library's LISTEN client all go through (pg_stat_statements is not installed
 * here). Call once, before the app starts; read the counts with the returned function.
 */
export function countStatements(): () => StatementCount {
  const count: StatementCount = { statements: 0, transactions: 0 };
  const inTransaction = new WeakSet<object>();
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = prototype.query;
  prototype.query = function (this: object, ...args: unknown[]) {
    const first = args[0] as string | { text?: string } | undefined;
    const text = (typeof first === 'string' ? first : (first?.text ?? '')).trimStart().toUpperCase();
    count.statements++;
    if (text.startsWith('BEGIN') || text.startsWith('START TRANSACTION')) {
      count.transactions++;
      inTransaction.add(this);
    } else if (
      text.startsWith('COMMIT') ||
      (text.startsWith('ROLLBACK') && !text.startsWith('ROLLBACK TO'))
    ) {
      inTransaction.delete(this);
    } else if (!inTransaction.has(this)) {
      count.transactions++;
    }
    return query.apply(this, args);
  };
  return () => ({ ...count });
}
