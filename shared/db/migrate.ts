import { runner } from 'node-pg-migrate';
import type { Logger } from '../log.ts';
import { type DbPassword, newClient } from './password.ts';

/**
 * Applies pending versioned SQL migrations under a blocking advisory lock; safe to call from every
 * replica of a service. Both planes use it, each with its own folder, lock key and migrations table.
 *
 * Every file in a migrations folder is a migration: name new ones `YYYYMMDDHHmmssSSS_what.sql` (the
 * 17-digit UTC timestamp node-pg-migrate orders by) with `-- Up Migration` / `-- Down Migration`
 * sections. Never edit one that has shipped.
 *
 * The lock is our own: node-pg-migrate's lock is try-or-fail, which would make a second replica that
 * starts at the same moment crash instead of waiting. We wait on ours, then let the runner skip what
 * the first replica already applied.
 */
export async function runMigrations(opts: {
  databaseUrl: string;
  log: Logger;
  /** Absolute path of the folder of `.sql` migrations. */
  dir: string;
  /** pg advisory lock key; one per service, so two services sharing a database do not wait on each other. */
  lockKey: number;
  /** Where applied migrations are recorded, e.g. `schema_migrations`. */
  migrationsTable: string;
  /** Schema of the migrations table (created when missing); default `public`. */
  migrationsSchema?: string;
  /** The login's password when it is not in the URL (read at connect: see password.ts). */
  password?: DbPassword;
}): Promise<string[]> {
  const client = newClient({ connectionString: opts.databaseUrl }, opts.password);
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [opts.lockKey]);
    const applied = await runner({
      dbClient: client,
      dir: opts.dir,
      direction: 'up',
      migrationsTable: opts.migrationsTable,
      ...(opts.migrationsSchema ? { migrationsSchema: opts.migrationsSchema, createMigrationsSchema: true } : {}),
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
    await client.query('SELECT pg_advisory_unlock($1)', [opts.lockKey]).catch(() => {});
    await client.end();
  }
}
