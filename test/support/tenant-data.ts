import { createDb, type Db } from '../../shared/db/pool.ts';
import { newUlid } from '../../shared/ids.ts';
import { silentLogger } from '../../shared/log.ts';
import { migrateApprovals } from '../../customer-plane/approvals/migrate.ts';
import { migrateMemory } from '../../customer-plane/memory/migrate.ts';
import { migrateLedger } from '../../customer-plane/runner/ledger/migrate.ts';
import { createTestDatabase } from '../../scripts/topology/scratch-database.ts';

/**
 * A customer plane's database of its own (the runtime, approvals and memory schemas migrated), dropped
 * when the test ends, and rows written straight into its tables: what forgetting and erasing find there.
 */
export async function tenantDatabase(t: { after(fn: () => Promise<void> | void): void }): Promise<Db> {
  const database = await createTestDatabase('erase');
  const db = createDb({ databaseUrl: database.url, max: 12 });
  t.after(async () => {
    await db.end();
    await database.drop();
  });
  const log = silentLogger();
  await migrateLedger({ databaseUrl: database.url, log });
  await migrateApprovals({ databaseUrl: database.url, log });
  await migrateMemory({ databaseUrl: database.url, log });
  return db;
}

/**
 * What memory holds of one run on `repo` in `environment`, one row per repository table (two files):
 * every row carries `canary` in a text column, so a test can tell exactly whose rows are left.
 */
export async function rememberRun(db: Db, o: { repo: string; environment: string; canary: string }): Promise<void> {
  const runId = newUlid();
  const { repo, environment, canary } = o;
  await db.query(
    `INSERT INTO memory.working (run_id, step_id, repo, environment, template, step_key, agent, autonomy, succeeded, baseline, files)
     VALUES ($1, $2, $3, $4, 'code-review', 'review', 'reviewer', 'assisted', true, true, $5)`,
    [runId, newUlid(), repo, environment, JSON.stringify([{ path: `src/${canary}.ts`, sha256: 'a'.repeat(64), full: true }])],
  );
  await db.query(
    `INSERT INTO memory.episodes (run_id, repo, environment, template, status, error_code, steps, steps_failed, llm_calls,
       turns_reused, input_tokens, output_tokens, findings)
     VALUES ($1, $2, $3, 'code-review', 'succeeded', $4, 1, 0, 1, 0, 10, 5, 0)`,
    [runId, repo, environment, `none-${canary}`],
  );
  for (const file of ['a', 'b'])
    await db.query(
      `INSERT INTO memory.semantic_files (repo, environment, path, sha256, language, symbols, run_id)
       VALUES ($1, $2, $3, $4, 'typescript', $5, $6)`,
      [repo, environment, `src/${canary}-${file}.ts`, file.repeat(64), JSON.stringify([{ name: canary }]), runId],
    );
  await db.query(
    `INSERT INTO memory.semantic_turns (repo, environment, key, agent, message, input_tokens, output_tokens)
     VALUES ($1, $2, $3, 'reviewer', $4, 10, 5)`,
    [repo, environment, `key-${canary}`, JSON.stringify({ role: 'assistant', content: `quotes ${canary}` })],
  );
  await db.query(
    `INSERT INTO memory.procedures (repo, environment, template, step_key, agent, sequence_hash, sequence, successes, last_run_id)
     VALUES ($1, $2, 'code-review', 'review', 'reviewer', $3, '[{"tool":"read_file"}]', 1, $4)`,
    [repo, environment, `seq-${canary}`, runId],
  );
  await db.query(
    `INSERT INTO memory.standing_events (ref, agent, environment, kind, repo, level_before, level_after)
     VALUES ($1, 'reviewer', $2, 'success', $3, 'assisted', 'assisted')`,
    [`step-${canary}`, environment, repo],
  );
}

/** The agents' counts in one environment (no repository in them), and an override recorded without a repository. */
export async function rememberStanding(db: Db, environment: string): Promise<void> {
  for (const agent of ['reviewer', 'indexer'])
    await db.query(`INSERT INTO memory.standing (agent, environment, level, successes) VALUES ($1, $2, 'assisted', 3)`, [
      agent,
      environment,
    ]);
  await db.query(
    `INSERT INTO memory.standing_events (ref, agent, environment, kind, repo, level_before, level_after)
     VALUES ($1, 'reviewer', $2, 'override', NULL, 'assisted', 'observe')`,
    [`override-${environment}`, environment],
  );
}

/** Every row of every table of `schemas` (migration bookkeeping aside), as text, by `schema.table`. */
export async function rowsOf(db: Db, schemas: string[]): Promise<Record<string, string[]>> {
  const { rows: tables } = await db.query<{ t: string }>(
    `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables
     WHERE table_schema = ANY($1) AND table_name <> 'migrations' AND table_type = 'BASE TABLE' ORDER BY 1`,
    [schemas],
  );
  const out: Record<string, string[]> = {};
  // The names come from the catalog of the test's own database.
  for (const { t } of tables)
    out[t] = (await db.query<{ row: string }>(`SELECT r::text AS row FROM ${t} r ORDER BY 1`)).rows.map((r) => r.row);
  return out;
}

/** The rows of `before` whose text contains none of `gone`: what should be left after those are deleted. */
export function rowsWithout(before: Record<string, string[]>, gone: string[]): Record<string, string[]> {
  return Object.fromEntries(Object.entries(before).map(([t, rows]) => [t, rows.filter((r) => !gone.some((g) => r.includes(g)))]));
}

/** From now on a DELETE from `table` fails, as a database that drops mid-way would: what came before must be undone. */
export async function failDeletesFrom(db: Db, table: string): Promise<void> {
  await db.query(`CREATE FUNCTION public.refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'delete refused (test)'; END $$`);
  // The table is one the test names, in its own database.
  await db.query(`CREATE TRIGGER refuse_delete BEFORE DELETE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_delete()`);
}
