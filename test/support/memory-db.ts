import { createDb, type Db } from '../../shared/db/pool.ts';
import { silentLogger } from '../../shared/log.ts';
import { migrateMemory } from '../../customer-plane/memory/migrate.ts';
import { createTestDatabase } from '../../scripts/topology/scratch-database.ts';
import { flakyDb } from './flaky-db.ts';

/**
 * A database holding only the `memory` schema (migrated), for tests of the memory layers called directly
 * (no ledger or approvals tables). One database per test file, dropped after the file: creating one costs
 * most of a second on a busy machine, and these files run once per mutant. Each call empties every memory
 * table, so each test starts from nothing.
 */
export function memoryDatabase(hooks: { after(fn: () => Promise<void> | void): void }): () => Promise<Db> {
  let ready: Promise<{ db: Db; drop(): Promise<void> }> | undefined;
  // Registered now, at the file's top level: a hook registered from inside a test would run when that test ends.
  hooks.after(async () => {
    const opened = await ready;
    await opened?.db.end();
    await opened?.drop();
  });
  const open = async () => {
    const database = await createTestDatabase('mem');
    const db = createDb({ databaseUrl: database.url, max: 6 });
    await migrateMemory({ databaseUrl: database.url, log: silentLogger() });
    return { db, drop: database.drop };
  };
  return async () => {
    ready ??= open();
    const { db } = await ready;
    // DELETE, not TRUNCATE: a few rows each, and no exclusive lock or new files to wait for.
    for (const table of ['working', 'episodes', 'semantic_files', 'semantic_turns', 'procedures', 'standing', 'standing_events'])
      await db.query(`DELETE FROM memory.${table}`);
    return db;
  };
}

/** The same pool, with the database gone: every query and connect through it fails as an outage does. */
export async function downDb(db: Db): Promise<Db> {
  const flaky = flakyDb(db);
  flaky.failAfter(/^SELECT 1$/);
  await flaky.db.query('SELECT 1');
  return flaky.db;
}
