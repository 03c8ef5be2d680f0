import pg from 'pg';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../../shared/log.ts';

// Every file in this folder is a migration: name new ones `YYYYMMDDHHmmssSSS_what.sql` (the 17-digit
// UTC timestamp node-pg-migrate orders by) with `-- Up Migration` / `-- Down Migration` sections.
// Never edit one that has shipped.
const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));
// Our own lock key: node-pg-migrate's lock is try-or-fail, which would make a second replica that
// starts at the same moment crash instead of waiting. We wait on this one, then let the runner
// skip what the first replica already applied.
const MIGRATION_LOCK_KEY = 0x61706d67; // "apmg"

/** Applies pending versioned SQL migrations under a blocking advisory lock; safe to call from every replica. */
export async function runMigrations(opts: { databaseUrl: string; log: Logger }): Promise<string[]> {
  const client = new pg.Client({ connectionString: opts.databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      migrationsTable: 'schema_migrations',
      noLock: true,
      checkOrder: true,
      singleTransaction: true,
      logger: {
        debug: () => {},
        info: (msg: string) => opts.log.debug({ migration: msg }, 'migration runner'),
        warn: (msg: string) => opts.log.warn({ migration: msg }, 'migration runner'),
        error: (msg: string) => opts.log.error({ migration: msg }, 'migration runner'),
      },
    });
    const names = applied.map((m) => m.name);
    if (names.length) opts.log.info({ applied: names }, 'database migrated');
    return names;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    await client.end();
  }
}
