import { fileURLToPath } from 'node:url';
import { runMigrations } from '../../shared/db/migrate.ts';
import type { Logger } from '../../shared/log.ts';
import type { DbPassword } from '../../shared/db/password.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));
const LOCK_KEY = 0x61707061; // "appa": apart from the ledger's and the control plane's keys

/** The approvals tables, in their own `approvals` schema; safe to call from every runner process. */
export function migrateApprovals(opts: { databaseUrl: string; log: Logger; password?: DbPassword }): Promise<string[]> {
  return runMigrations({ ...opts, dir: MIGRATIONS_DIR, lockKey: LOCK_KEY, migrationsTable: 'migrations', migrationsSchema: 'approvals' });
}
