import { type Db, inTransaction } from '../../shared/db/pool.ts';
import { AgentplaneError } from '../../shared/errors.ts';
import { forgetAll } from '../memory/forget.ts';
import { isRunLocked } from '../runner/ledger/lock.ts';

/** A run is being executed by a live runner right now: erasing under it would leave half a record. */
export class EraseRefusedError extends AgentplaneError {
  constructor(runIds: string[]) {
    super(
      'runs_in_progress',
      `${runIds.length} run(s) are being executed right now (${runIds.slice(0, 5).join(', ')}); stop the customer plane's runners, then erase`,
      { details: { runIds } },
    );
  }
}

/**
 * The runtime's tables, children first (the foreign keys cascade from runs too; explicit deletes give
 * counts per table). Names come from this constant, never from input.
 */
const RUNTIME_TABLES = [
  'patches',
  'findings',
  'model_turns',
  'effects',
  'gate_decisions',
  'tool_calls',
  'steps',
  'runs',
  'run_inputs',
] as const;

export type Erased = {
  runtime: Record<(typeof RUNTIME_TABLES)[number], number>;
  approvals: number;
  memory: Record<string, number>;
  /** Secret values of run inputs still in the secret store, deleted after the rows. */
  inputSecrets: number;
};

/**
 * Erases everything this customer plane holds of its tenant's work, in one transaction: the run
 * records (runs, steps, tool calls, gate decisions, effects, model turns, findings, patches, run
 * inputs), the approvals, and all agent memory with the agents' standing; then the secret values of
 * run inputs not yet discarded. Kept, on purpose: the audit chain of what crossed to the vendor
 * (metadata only — counts and codes — and the customer's proof of what left), the outbox of events
 * not yet sent, the secret store's own secrets (credentials, not work), environments and reviewed
 * template pins (configuration). Refused while a live runner executes a run.
 */
export async function eraseTenantData(db: Db, deps: { deleteInputSecret(inputId: string, name: string): Promise<void> }): Promise<Erased> {
  const { rows: running } = await db.query<{ id: string }>("SELECT id FROM runtime.runs WHERE status = 'running'");
  const live: string[] = [];
  for (const r of running) if (await isRunLocked(db, r.id)) live.push(r.id);
  if (live.length) throw new EraseRefusedError(live);

  const { erased, inputs } = await inTransaction(db, async (c) => {
    const { rows: pendingSecrets } = await c.query<{ id: string; secret_names: string[] }>(
      'SELECT id, secret_names FROM runtime.run_inputs WHERE discarded_at IS NULL',
    );
    const runtime = Object.fromEntries(RUNTIME_TABLES.map((t) => [t, 0])) as Erased['runtime'];
    for (const table of RUNTIME_TABLES) runtime[table] = (await c.query(`DELETE FROM runtime.${table}`)).rowCount ?? 0;
    const approvals = (await c.query('DELETE FROM approvals.requests')).rowCount ?? 0;
    const memory = await forgetAll(c);
    return { erased: { runtime, approvals, memory }, inputs: pendingSecrets };
  });
  let inputSecrets = 0;
  for (const r of inputs)
    for (const name of r.secret_names) {
      await deps.deleteInputSecret(r.id, name);
      inputSecrets += 1;
    }
  return { ...erased, inputSecrets };
}
