/**
 * Counts the statements every pg client of this process sends (TypeORM's pool, the LISTEN connection),
 * by wrapping pg.Client#query once. TypeORM loads the same `pg` module, so nothing escapes the count.
 */
import pg from 'pg';

let count = 0;
let installed = false;

export function countStatements(): { readonly count: number } {
  if (!installed) {
    installed = true;
    const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
    (pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (
      this: pg.Client,
      ...args: unknown[]
    ) {
      count++;
      return original.apply(this, args);
    };
  }
  return {
    get count() {
      return count;
    },
  };
}
