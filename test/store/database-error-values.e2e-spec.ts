import { DataSource } from 'typeorm';
import { SigningAuthDatabaseError } from 'signing-auth';
import { queryRows, withheldValues } from '../../libs/signing-auth/src/common/query-rows.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * A failed query's error reaches logs and HTTP answers (the admin filter logs it). PostgreSQL quotes the
 * offending value in some messages; here that value can be a ciphertext or a tenant's input.
 */
describe('SigningAuthDatabaseError withholds the values PostgreSQL quotes', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  const canary = `canary-${'x'.repeat(80)}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await new DataSource(db.options).initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.close();
  });

  it.each([
    ['a value of the wrong type', 'SELECT $1::uuid', [canary]],
    ['a short value of the wrong type', 'SELECT $1::int', ['short-canary']],
    ['a value sent as a JSON document', 'SELECT $1::jsonb::text::int', [JSON.stringify({ canary })]],
  ])('%s: the message names the problem and the SQLSTATE, not the value', async (_, sql, params) => {
    const error = await queryRows(dataSource, sql, params).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SigningAuthDatabaseError);
    const { message, code } = error as SigningAuthDatabaseError;
    expect(code).toMatch(/^22/);
    expect(message).toMatch(/^signing-auth: database query failed: invalid input syntax for type \w+/);
    expect(message).not.toContain('canary');
    expect(JSON.stringify(error)).not.toContain('canary');
  });

  it('keeps identifiers, which help: the constraint a duplicate violates', async () => {
    await queryRows(dataSource, 'CREATE TEMP TABLE t (id int CONSTRAINT t_pk PRIMARY KEY)');
    await queryRows(dataSource, 'INSERT INTO t VALUES (1)');
    const error = (await queryRows(dataSource, 'INSERT INTO t VALUES (1)').catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('"t_pk"');
  });

  it('withholds any quoted run longer than an identifier can be, and bounds the length', () => {
    const long = `"${'a'.repeat(64)}"`;
    expect(withheldValues(`something about ${long} here`, '42000')).toBe(
      'something about "[value withheld]" here',
    );
    expect(withheldValues('m'.repeat(5_000)).length).toBeLessThanOrEqual(1_001);
    expect(withheldValues('invalid input syntax for type uuid: "unterminated', '22P02')).toBe(
      'invalid input syntax for type uuid: "[value withheld]"',
    );
  });
});
