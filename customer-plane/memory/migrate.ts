import { fileURLToPath } from 'node:url';
import { runMigrations } from '../../shared/db/migrate.ts';
import type { Logger } from '../../shared/log.ts';
import type { DbPassword } from '../../shared/db/password.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));
const LOCK_KEY = 0x61706d65; // "apme": its own key, so it never waits on the ledger's or the control plane's

/** The memory layers' tables, in their own `memory` schema; safe to call from every runner process. */
export function migrateMemory(opts: { databaseUrl: string; log: Logger; password?: DbPassword }): Promise<string[]> {
  return runMigrations({ ...opts, dir: MIGRATIONS_DIR, lockKey: LOCK_KEY, migrationsTable: 'migrations', migrationsSchema: 'memory' });
}
