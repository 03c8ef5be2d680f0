import { createDb, type Db } from '../../shared/db/pool.ts';
import { newUlid } from '../../shared/ids.ts';
import { silentLogger } from '../../shared/log.ts';
import type { Dispatch } from '../../shared/dispatch.ts';
import { migrateLedger } from '../../customer-plane/runner/ledger/migrate.ts';
import { createRunLedger, type StepSpec } from '../../customer-plane/runner/ledger/runs.ts';
import { createTestDatabase } from '../../scripts/topology/scratch-database.ts';

/**
 * A scratch database with only the run ledger's schema, dropped when the test ends: what the ledger's
 * own tests read and write directly, without a runner, a queue or a model.
 */
export async function ledgerDatabase(t: { after(fn: () => Promise<void> | void): void }, opts: { max?: number } = {}) {
  const database = await createTestDatabase('ledger');
  const dbs: Db[] = [];
  /** Another pool on the same database: what a second runner process would hold. */
  const connect = (o: { max?: number; connectTimeoutMs?: number } = {}) => {
    const db = createDb({ databaseUrl: database.url, max: o.max ?? 4, connectTimeoutMs: o.connectTimeoutMs });
    dbs.push(db);
    return db;
  };
  t.after(async () => {
    for (const db of dbs) await db.end();
    await database.drop();
  });
  await migrateLedger({ databaseUrl: database.url, log: silentLogger() });
  return { db: connect({ max: opts.max }), connect };
}

export function dispatchFor(o: Partial<Dispatch> = {}): Dispatch {
  return {
    workflowId: newUlid(),
    tenant: '00000000-0000-4000-8000-000000000001',
    template: 'code-review',
    repo: 'sample',
    requestedAt: Date.UTC(2026, 11, 2, 9, 0, 0),
    ...o,
  };
}

export const TWO_STEPS: StepSpec[] = [
  { key: 'index', agent: 'indexer', needs: [] },
  { key: 'review', agent: 'reviewer', needs: ['index'] },
];

/** A run opened with its steps, none started yet (a test starts the one its journal writes for). */
export async function openedRun(db: Db, steps: readonly StepSpec[] = TWO_STEPS) {
  const ledger = createRunLedger(db);
  const d = dispatchFor();
  const opened = await ledger.openRun(d, { steps });
  return { ledger, d, runId: d.workflowId, steps: opened.steps };
}

/** Every row of a ledger table for a step, as stored (ids and times left out). */
export async function rowsOf(db: Db, table: string, stepId: string) {
  const { rows } = await db.query(`SELECT * FROM runtime.${table} WHERE step_id = $1 ORDER BY attempt, seq`, [stepId]);
  return rows.map(({ id: _id, at: _at, planned_at: _p, started_at: _s, committed_at: _c, ...rest }) => rest);
}
