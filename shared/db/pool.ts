import pg from 'pg';

export type Db = pg.Pool;

export function createDb(opts: { databaseUrl: string; max?: number }): Db {
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.max ?? 10 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return pool;
}

/** Runs fn in one transaction; rolls back on any throw. */
export async function inTransaction<T>(db: Db, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
