import { fileURLToPath } from 'node:url';
import { runMigrations as runSharedMigrations } from '../../shared/db/migrate.ts';
import type { Logger } from '../../shared/log.ts';

// Every file in ./migrations is a control-plane migration (naming rules in shared/db/migrate.ts).
const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));
const MIGRATION_LOCK_KEY = 0x61706d67; // "apmg"

/** Applies the control plane's pending migrations; safe to call from every replica. */
export function runMigrations(opts: { databaseUrl: string; log: Logger }): Promise<string[]> {
  return runSharedMigrations({ ...opts, dir: MIGRATIONS_DIR, lockKey: MIGRATION_LOCK_KEY, migrationsTable: 'schema_migrations' });
}
