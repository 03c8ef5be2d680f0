import { createDb, type Db } from '../../shared/db/pool.ts';
import { silentLogger } from '../../shared/log.ts';
import { migrateMemory } from '../../customer-plane/memory/migrate.ts';
import { createTestDatabase } from '../../scripts/topology/scratch-database.ts';
import { flakyDb } from './flaky-db.ts';

/**
 * A database holding only the `memory` schema (migrated), dropped when the test ends: for tests of the
 * memory layers called directly, which need no ledger or approvals tables (and so start faster).
 */
export async function memoryDatabase(t: { after(fn: () => Promise<void> | void): void }): Promise<Db> {
  const database = await createTestDatabase('mem');
  const db = createDb({ databaseUrl: database.url, max: 6 });
  t.after(async () => {
    await db.end();
    await database.drop();
  });
  await migrateMemory({ databaseUrl: database.url, log: silentLogger() });
  return db;
}

/** The same pool, with the database gone: every query and connect through it fails as an outage does. */
export async function downDb(db: Db): Promise<Db> {
  const flaky = flakyDb(db);
  flaky.failAfter(/^SELECT 1$/);
  await flaky.db.query('SELECT 1');
  return flaky.db;
}
