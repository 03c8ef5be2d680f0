import type pg from 'pg';
import type { Db } from '../../../shared/db/pool.ts';
import { inTransaction } from '../../../shared/db/pool.ts';
import type { AgentName, ErrorCode, GateTally, TemplateName } from '../../../shared/boundary.ts';
import { newUlid } from '../../../shared/ids.ts';
import { type Dispatch, environmentOf } from '../../../shared/dispatch.ts';
import type { AgentOutput } from '../../../agents/types.ts';
import { jsonb, pgSafe } from './pg-safe.ts';

/** The run ledger: runs and their steps, as the scheduler moves them. */

export type RunStatus = 'running' | 'succeeded' | 'failed';
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export type RunRow = {
  id: string;
  template: TemplateName;
  repo: string;
  /** The named environment the run was dispatched to. */
  environment: string;
  status: RunStatus;
  errorCode: ErrorCode;
  baselineTree: string | null;
  attempts: number;
  startedEventId: string;
  finishedEventId: string | null;
  createdAt: number;
  finishedAt: number | null;
};

export type StepRow = {
  id: string;
  stepKey: string;
  idx: number;
  agent: AgentName;
  needs: string[];
  status: StepStatus;
  errorCode: ErrorCode;
  attempt: number;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  treeAfter: string | null;
  completionSeq: number | null;
  output: AgentOutput | null;
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
  toolCalls: number;
  refusals: number;
  finishedEventId: string | null;
  gateEventId: string | null;
};

export type StepSpec = { key: string; agent: AgentName; needs: readonly string[] };

export type StepFinish = {
  status: 'succeeded' | 'failed';
  errorCode: ErrorCode;
  durationMs: number;
  output?: AgentOutput;
  /** The step's change to the workspace (empty when it changed nothing). */
  appliedDiff?: string;
  treeAfter?: string;
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
  toolCalls: number;
  refusals: number;
  finishedEventId: string;
  gateEventId: string;
};

const ms = (d: Date | null): number | null => (d ? d.getTime() : null);

function runRow(r: pg.QueryResultRow): RunRow {
  return {
    id: r.id,
    template: r.template,
    repo: r.repo,
    environment: r.environment,
    status: r.status,
    errorCode: r.error_code,
    baselineTree: r.baseline_tree,
    attempts: r.attempts,
    startedEventId: r.started_event_id,
    finishedEventId: r.finished_event_id,
    createdAt: r.created_at.getTime(),
    finishedAt: ms(r.finished_at),
  };
}

function stepRow(r: pg.QueryResultRow): StepRow {
  return {
    id: r.id,
    stepKey: r.step_key,
    idx: r.idx,
    agent: r.agent,
    needs: r.needs,
    status: r.status,
    errorCode: r.error_code,
    attempt: r.attempt,
    startedAt: ms(r.started_at),
    finishedAt: ms(r.finished_at),
    durationMs: r.duration_ms,
    treeAfter: r.tree_after,
    completionSeq: r.completion_seq,
    output: r.output,
    llmCalls: r.llm_calls,
    inputTokens: Number(r.input_tokens),
    outputTokens: Number(r.output_tokens),
    toolCalls: r.tool_calls,
    refusals: r.refusals,
    finishedEventId: r.finished_event_id,
    gateEventId: r.gate_event_id,
  };
}

export function createRunLedger(db: Db) {
  return {
    /**
     * Opens the run for one delivery of its work: created on the first, its delivery counted on every
     * one. Steps are created with the run (ids fixed from then on, so a resumed run reports the same
     * stepIds); `steps` is undefined when the template is not in this release.
     */
    async openRun(d: Dispatch, opts: { requestId?: string; steps?: readonly StepSpec[] }): Promise<{ run: RunRow; steps: StepRow[] }> {
      return inTransaction(db, async (c) => {
        await c.query(
          `INSERT INTO runtime.runs (id, tenant_id, template, repo, environment, status, request_id, started_event_id, requested_at)
           VALUES ($1, $2, $3, $4, $5, 'running', $6, $7, to_timestamp($8::bigint / 1000.0)) ON CONFLICT (id) DO NOTHING`,
          [d.workflowId, d.tenant, d.template, d.repo, environmentOf(d), opts.requestId ?? null, newUlid(), d.requestedAt],
        );
        const { rows } = await c.query('UPDATE runtime.runs SET attempts = attempts + 1 WHERE id = $1 RETURNING *', [d.workflowId]);
        for (const [idx, s] of (opts.steps ?? []).entries()) {
          await c.query(
            `INSERT INTO runtime.steps (id, run_id, step_key, idx, agent, needs, status) VALUES ($1, $2, $3, $4, $5, $6, 'pending')
             ON CONFLICT (run_id, step_key) DO NOTHING`,
            [newUlid(), d.workflowId, s.key, idx, s.agent, [...s.needs]],
          );
        }
        return { run: runRow(rows[0]), steps: await stepsOf(c, d.workflowId) };
      });
    },

    async getRun(runId: string): Promise<{ run: RunRow; steps: StepRow[] } | undefined> {
      const { rows } = await db.query('SELECT * FROM runtime.runs WHERE id = $1', [runId]);
      if (!rows[0]) return undefined;
      return { run: runRow(rows[0]), steps: await stepsOf(db, runId) };
    },

    async getStep(stepId: string): Promise<StepRow> {
      const { rows } = await db.query('SELECT * FROM runtime.steps WHERE id = $1', [stepId]);
      return stepRow(rows[0]);
    },

    /** A run whose work can no longer be delivered: steps caught mid-way fail, those never reached are skipped. */
    async abandonSteps(runId: string, errorCode: ErrorCode): Promise<void> {
      await db.query(
        `UPDATE runtime.steps SET status = CASE WHEN status = 'running' THEN 'failed' ELSE 'skipped' END,
           error_code = CASE WHEN status = 'running' THEN $2 ELSE 'dependency_failed' END, finished_at = now()
         WHERE run_id = $1 AND status IN ('running', 'pending')`,
        [runId, errorCode],
      );
    },

    async setBaseline(runId: string, tree: string): Promise<void> {
      await db.query('UPDATE runtime.runs SET baseline_tree = $2 WHERE id = $1 AND baseline_tree IS NULL', [runId, tree]);
    },

    /** Marks a step running for a new attempt; returns the attempt number. */
    async startStep(stepId: string, treeBefore: string | null): Promise<number> {
      const { rows } = await db.query(
        `UPDATE runtime.steps SET status = 'running', attempt = attempt + 1, started_at = now(), tree_before = $2
         WHERE id = $1 RETURNING attempt`,
        [stepId, treeBefore],
      );
      return rows[0].attempt;
    },

    /** Records a finished step with its output, findings and patches in one transaction. */
    async finishStep(runId: string, stepId: string, f: StepFinish): Promise<void> {
      await inTransaction(db, async (c) => {
        // Serializes completions within a run: completion_seq orders the diffs a resumed run replays.
        await c.query('SELECT 1 FROM runtime.runs WHERE id = $1 FOR UPDATE', [runId]);
        await c.query(
          `UPDATE runtime.steps SET status = $2, error_code = $3, finished_at = now(), duration_ms = $4, output = $5::jsonb,
             tree_after = $6, llm_calls = $7, input_tokens = $8, output_tokens = $9, tool_calls = $10, refusals = $11,
             finished_event_id = $12, gate_event_id = NULLIF($13, ''),
             completion_seq = (SELECT coalesce(max(completion_seq), 0) + 1 FROM runtime.steps WHERE run_id = $1)
           WHERE id = $14`,
          [
            runId,
            f.status,
            f.errorCode,
            f.durationMs,
            jsonb(f.output ?? null),
            f.treeAfter ?? null,
            f.llmCalls,
            f.inputTokens,
            f.outputTokens,
            f.toolCalls,
            f.refusals,
            f.finishedEventId,
            f.gateEventId,
            stepId,
          ],
        );
        if (f.status !== 'succeeded') return;
        for (const x of f.output?.findings ?? []) {
          await c.query(
            'INSERT INTO runtime.findings (run_id, step_id, rule, severity, file, line, message) VALUES ($1, $2, $3, $4, $5, $6, $7)',
            [runId, stepId, x.rule, x.severity, pgSafe(x.file), x.line, pgSafe(x.message)],
          );
        }
        if (f.appliedDiff) {
          await c.query("INSERT INTO runtime.patches (run_id, step_id, kind, title, diff) VALUES ($1, $2, 'applied', $3, $4)", [
            runId,
            stepId,
            'changes made in the workspace',
            pgSafe(f.appliedDiff),
          ]);
        }
        for (const p of f.output?.patches ?? []) {
          await c.query("INSERT INTO runtime.patches (run_id, step_id, kind, title, diff) VALUES ($1, $2, 'proposed', $3, $4)", [
            runId,
            stepId,
            pgSafe(p.title),
            pgSafe(p.diff),
          ]);
        }
      });
    },

    async skipStep(stepId: string, finishedEventId: string): Promise<void> {
      await db.query(
        `UPDATE runtime.steps SET status = 'skipped', error_code = 'dependency_failed', finished_at = now(), duration_ms = 0,
           finished_event_id = $2 WHERE id = $1 AND status IN ('pending', 'running')`,
        [stepId, finishedEventId],
      );
    },

    /** The workspace changes of the run's succeeded steps, in the order they were made. */
    async completedDiffs(runId: string): Promise<Array<{ stepId: string; diff: string; treeAfter: string | null }>> {
      const { rows } = await db.query(
        `SELECT s.id, s.tree_after, p.diff FROM runtime.steps s
         LEFT JOIN runtime.patches p ON p.step_id = s.id AND p.kind = 'applied'
         WHERE s.run_id = $1 AND s.status = 'succeeded' ORDER BY s.completion_seq`,
        [runId],
      );
      return rows.map((r) => ({ stepId: r.id, diff: r.diff ?? '', treeAfter: r.tree_after }));
    },

    /** A step's gate decisions in its last attempt, tallied (to send its gate event again after a crash). */
    async gateTally(stepId: string, attempt: number): Promise<GateTally[]> {
      const { rows } = await db.query(
        `SELECT tool, decision, reason, approval, count(*)::int AS count FROM runtime.gate_decisions
         WHERE step_id = $1 AND attempt = $2 GROUP BY tool, decision, reason, approval ORDER BY tool, reason`,
        [stepId, attempt],
      );
      return rows as GateTally[];
    },

    /** Patches recorded for a step (applied and proposed). */
    async patchCount(stepId: string): Promise<number> {
      const { rows } = await db.query('SELECT count(*)::int AS n FROM runtime.patches WHERE step_id = $1', [stepId]);
      return rows[0].n;
    },

    /** Creates the run if no delivery ever opened it (its work was exhausted before a runner could). */
    async ensureRun(d: Dispatch): Promise<void> {
      await db.query(
        `INSERT INTO runtime.runs (id, tenant_id, template, repo, environment, status, started_event_id, requested_at)
         VALUES ($1, $2, $3, $4, $5, 'running', $6, to_timestamp($7::bigint / 1000.0)) ON CONFLICT (id) DO NOTHING`,
        [d.workflowId, d.tenant, d.template, d.repo, environmentOf(d), newUlid(), d.requestedAt],
      );
    },

    /** Ends the run; a run already finished keeps its outcome (returns false). */
    async finishRun(runId: string, status: 'succeeded' | 'failed', errorCode: ErrorCode): Promise<{ finished: boolean; eventId: string }> {
      const eventId = newUlid();
      const { rows } = await db.query(
        `UPDATE runtime.runs SET status = $2, error_code = $3, finished_at = now(), finished_event_id = $4
         WHERE id = $1 AND status = 'running' RETURNING finished_event_id`,
        [runId, status, errorCode, eventId],
      );
      if (rows[0]) return { finished: true, eventId };
      const prior = await db.query('SELECT finished_event_id FROM runtime.runs WHERE id = $1', [runId]);
      return { finished: false, eventId: prior.rows[0]?.finished_event_id ?? eventId };
    },
  };
}
export type RunLedger = ReturnType<typeof createRunLedger>;

async function stepsOf(c: pg.PoolClient | Db, runId: string): Promise<StepRow[]> {
  const { rows } = await c.query('SELECT * FROM runtime.steps WHERE run_id = $1 ORDER BY idx', [runId]);
  return rows.map(stepRow);
}
