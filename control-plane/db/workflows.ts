import type pg from 'pg';
import type { Db } from './pool.ts';
import type { WorkflowEvent } from '../../shared/boundary.ts';

export type WorkflowView = {
  id: string;
  tenantId: string;
  template: string;
  status: string;
  errorCode: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  dispatchAttempts: number;
  steps: Array<{
    stepId: string;
    index: number;
    agent: string;
    status: string;
    errorCode: string;
    startedAt: string;
    durationMs: number;
    llmCalls: number;
    inputTokens: number;
    outputTokens: number;
    /** Counts from the agent runtime; null when the runner did not report them. */
    toolCalls: number | null;
    refusals: number | null;
    findings: Record<string, number> | null;
    patches: number | null;
  }>;
  /** The customer plane's gate decisions, counted per step by tool, decision, reason code and approval outcome. */
  gate: Array<{ stepId: string; agent: string; tool: string; decision: string; reason: string; approval: string; count: number }>;
};

export function createWorkflowStore(db: Db) {
  return {
    /** Inserts the workflow, in the caller's transaction when `client` is given. */
    async create(w: { id: string; tenantId: string; template: string }, client?: pg.PoolClient): Promise<void> {
      await (client ?? db).query('INSERT INTO workflows (id, tenant_id, template, status) VALUES ($1, $2, $3, $4)', [
        w.id,
        w.tenantId,
        w.template,
        'queued',
      ]);
    },
    async status(id: string): Promise<string | undefined> {
      const { rows } = await db.query('SELECT status FROM workflows WHERE id = $1', [id]);
      return rows[0]?.status;
    },
    async countDispatchAttempt(id: string): Promise<void> {
      await db.query('UPDATE workflows SET dispatch_attempts = dispatch_attempts + 1 WHERE id = $1', [id]);
    },
    async markUndeliverable(id: string): Promise<void> {
      await db.query(
        `UPDATE workflows SET status = 'failed', error_code = 'undeliverable', finished_at = now() WHERE id = $1 AND status = 'queued'`,
        [id],
      );
    },
    async get(id: string, tenantId: string): Promise<WorkflowView | undefined> {
      const { rows } = await db.query('SELECT * FROM workflows WHERE id = $1 AND tenant_id = $2', [id, tenantId]);
      if (!rows[0]) return undefined;
      const steps = await db.query('SELECT * FROM workflow_steps WHERE workflow_id = $1 ORDER BY idx', [id]);
      const gate = await db.query(
        `SELECT g.* FROM workflow_gate_decisions g JOIN workflow_steps s ON s.step_id = g.step_id
         WHERE g.workflow_id = $1 ORDER BY s.idx, g.tool, g.decision, g.reason, g.approval`,
        [id],
      );
      const w = rows[0];
      return {
        id: w.id,
        tenantId: w.tenant_id,
        template: w.template,
        status: w.status,
        errorCode: w.error_code,
        createdAt: w.created_at.toISOString(),
        startedAt: w.started_at?.toISOString() ?? null,
        finishedAt: w.finished_at?.toISOString() ?? null,
        durationMs: w.duration_ms,
        dispatchAttempts: w.dispatch_attempts,
        steps: steps.rows.map((s) => ({
          stepId: s.step_id,
          index: s.idx,
          agent: s.agent,
          status: s.status,
          errorCode: s.error_code,
          startedAt: s.started_at.toISOString(),
          durationMs: s.duration_ms,
          llmCalls: s.llm_calls,
          inputTokens: Number(s.input_tokens),
          outputTokens: Number(s.output_tokens),
          toolCalls: s.tool_calls,
          refusals: s.refusals,
          findings: s.findings,
          patches: s.patches,
        })),
        gate: gate.rows.map((g) => ({
          stepId: g.step_id,
          agent: g.agent,
          tool: g.tool,
          decision: g.decision,
          reason: g.reason,
          approval: g.approval,
          count: g.count,
        })),
      };
    },
  };
}
export type WorkflowStore = ReturnType<typeof createWorkflowStore>;

/**
 * Projects a verified workflow event onto the workflows tables. Events may arrive more than once
 * (redelivery) or out of order across batches, so every write is idempotent and a finished
 * workflow is never moved back to running.
 */
/** A run the control plane gave up on because its customer plane went silent (see routing/silence.ts). */
export const SILENT_ERROR_CODE = 'customer_plane_silent';
const TIMED_OUT = `(status = 'failed' AND error_code = '${SILENT_ERROR_CODE}')`;

/**
 * The customer plane reported on a running workflow: it is alive. A workflow timed out for silence
 * is running again when its plane turns out to be alive (reports queued in its outbox during a hub
 * outage arrive late); its real outcome replaces the time-out when it finishes.
 */
async function reported(client: pg.PoolClient, tenantId: string, workflowId: string): Promise<void> {
  await client.query(
    `UPDATE workflows SET last_report_at = now(), status = 'running', error_code = NULL, finished_at = NULL
     WHERE id = $1 AND tenant_id = $2 AND (status = 'running' OR ${TIMED_OUT})`,
    [workflowId, tenantId],
  );
}

export async function projectWorkflowEvent(client: pg.PoolClient, tenantId: string, e: WorkflowEvent): Promise<void> {
  switch (e.type) {
    case 'workflow.started':
      await client.query(
        `UPDATE workflows SET status = 'running', started_at = COALESCE(started_at, to_timestamp($3::bigint / 1000.0)),
           last_report_at = now(), error_code = NULL, finished_at = NULL
         WHERE id = $1 AND tenant_id = $2 AND (status IN ('queued', 'running') OR ${TIMED_OUT})`,
        [e.workflowId, tenantId, e.at],
      );
      return;
    case 'workflow.heartbeat':
      await reported(client, tenantId, e.workflowId);
      return;
    case 'workflow.finished':
      await client.query(
        `UPDATE workflows SET status = $3, error_code = NULLIF($4, 'none'), finished_at = to_timestamp($5::bigint / 1000.0),
           duration_ms = $6::int, steps = $7, started_at = COALESCE(started_at, to_timestamp(($5::bigint - $6::int) / 1000.0))
         WHERE id = $1 AND tenant_id = $2`,
        [e.workflowId, tenantId, e.status, e.errorCode, e.at, e.durationMs, e.steps],
      );
      return;
    case 'step.finished':
      await reported(client, tenantId, e.workflowId);
      await client.query(
        `INSERT INTO workflow_steps (step_id, workflow_id, tenant_id, idx, agent, status, error_code, started_at,
           duration_ms, llm_calls, input_tokens, output_tokens, tool_calls, refusals, findings, patches)
         SELECT $1, $2, $3, $4, $5, $6, $7, to_timestamp($8::bigint / 1000.0), $9, $10, $11, $12, $13, $14, $15::jsonb, $16
         WHERE EXISTS (SELECT 1 FROM workflows WHERE id = $2 AND tenant_id = $3)
         ON CONFLICT (workflow_id, idx) DO UPDATE SET step_id = EXCLUDED.step_id, agent = EXCLUDED.agent,
           status = EXCLUDED.status, error_code = EXCLUDED.error_code, started_at = EXCLUDED.started_at,
           duration_ms = EXCLUDED.duration_ms, llm_calls = EXCLUDED.llm_calls, input_tokens = EXCLUDED.input_tokens,
           output_tokens = EXCLUDED.output_tokens, tool_calls = EXCLUDED.tool_calls, refusals = EXCLUDED.refusals,
           findings = EXCLUDED.findings, patches = EXCLUDED.patches
         WHERE workflow_steps.started_at <= EXCLUDED.started_at`,
        [
          e.stepId,
          e.workflowId,
          tenantId,
          e.index,
          e.agent,
          e.status,
          e.errorCode,
          e.startedAt,
          e.durationMs,
          e.llmCalls,
          e.inputTokens,
          e.outputTokens,
          e.toolCalls ?? null,
          e.refusals ?? null,
          e.findings ? JSON.stringify(e.findings) : null,
          e.patches ?? null,
        ],
      );
      return;
    case 'gate.decisions':
      // Each event carries the step's complete tally, so storing it again (a redelivery) changes nothing.
      for (const d of e.decisions) {
        await client.query(
          `INSERT INTO workflow_gate_decisions (workflow_id, tenant_id, step_id, agent, tool, decision, reason, approval, count)
           SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 WHERE EXISTS (SELECT 1 FROM workflows WHERE id = $1 AND tenant_id = $2)
           ON CONFLICT (step_id, tool, decision, reason, approval) DO UPDATE SET count = EXCLUDED.count`,
          [e.workflowId, tenantId, e.stepId, e.agent, d.tool, d.decision, d.reason, d.approval, d.count],
        );
      }
      return;
  }
}
