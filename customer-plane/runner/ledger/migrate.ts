import { fileURLToPath } from 'node:url';
import { runMigrations } from '../../../shared/db/migrate.ts';
import type { Logger } from '../../../shared/log.ts';
import type { DbPassword } from '../../../shared/db/password.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));
const LOCK_KEY = 0x61707275; // "apru": not the control plane's key, so the two never wait on each other

/** The run ledger's tables, in their own `runtime` schema; safe to call from every runner process. */
export function migrateLedger(opts: { databaseUrl: string; log: Logger; password?: DbPassword }): Promise<string[]> {
  return runMigrations({ ...opts, dir: MIGRATIONS_DIR, lockKey: LOCK_KEY, migrationsTable: 'migrations', migrationsSchema: 'runtime' });
}
