import pg from 'pg';

/**
 * A PostgreSQL database of the scale scenario's own (`bench_scale` by default), dropped and made again
 * at each run, so a million rows never land in anyone else's database or schema.
 */
export interface OwnDatabase {
  url: string;
  /** A plain client for the statements the scenario times directly (claims, counts, the copy). */
  client: pg.Client;
  drop(): Promise<void>;
}

export async function createOwnDatabase(serverUrl: string, name: string): Promise<OwnDatabase> {
  await onServer(serverUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  });
  const url = withDatabase(serverUrl, name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    url,
    client,
    drop: async () => {
      await client.end();
      await onServer(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

async function onServer<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}
