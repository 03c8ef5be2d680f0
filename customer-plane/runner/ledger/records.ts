import type { Db } from '../../../shared/db/pool.ts';

/**
 * The run record as the customer reads it (CLI now, the local console later): runs, their steps,
 * findings, patches and gate decisions, straight from the ledger. Local only.
 */
export type RunSummary = {
  id: string;
  template: string;
  repo: string;
  status: string;
  errorCode: string;
  createdAt: string;
  finishedAt: string | null;
  steps: number;
  stepsSucceeded: number;
  findings: number;
};

export type RunRecord = RunSummary & {
  environment: string;
  attempts: number;
  stepList: Array<{
    id: string;
    key: string;
    idx: number;
    agent: string;
    status: string;
    errorCode: string;
    attempt: number;
    durationMs: number | null;
    llmCalls: number;
    inputTokens: number;
    outputTokens: number;
    toolCalls: number;
    refusals: number;
    summary: string | null;
  }>;
  findingList: Array<{ stepKey: string; rule: string; severity: string; file: string; line: number; message: string }>;
  patchList: Array<{ stepKey: string; kind: string; title: string; diff: string }>;
  refusalList: Array<{ stepKey: string; tool: string; decision: string; reason: string; approval: string; count: number }>;
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function createRunRecords(db: Db) {
  return {
    async list(limit = 20): Promise<RunSummary[]> {
      const { rows } = await db.query(
        `SELECT r.*, (SELECT count(*) FROM runtime.steps s WHERE s.run_id = r.id)::int AS steps,
           (SELECT count(*) FROM runtime.steps s WHERE s.run_id = r.id AND s.status = 'succeeded')::int AS ok,
           (SELECT count(*) FROM runtime.findings f WHERE f.run_id = r.id)::int AS findings
         FROM runtime.runs r ORDER BY r.created_at DESC, r.id DESC LIMIT $1`,
        [limit],
      );
      return rows.map((r) => ({
        id: r.id,
        template: r.template,
        repo: r.repo,
        status: r.status,
        errorCode: r.error_code,
        createdAt: iso(r.created_at)!,
        finishedAt: iso(r.finished_at),
        steps: r.steps,
        stepsSucceeded: r.ok,
        findings: r.findings,
      }));
    },

    async show(id: string): Promise<RunRecord | undefined> {
      const run = (await db.query('SELECT * FROM runtime.runs WHERE id = $1', [id])).rows[0];
      if (!run) return undefined;
      const steps = (await db.query('SELECT * FROM runtime.steps WHERE run_id = $1 ORDER BY idx', [id])).rows;
      const keyOf = new Map(steps.map((s) => [s.id, s.step_key as string]));
      const findings = (
        await db.query(
          `SELECT f.* FROM runtime.findings f JOIN runtime.steps s ON s.id = f.step_id WHERE f.run_id = $1
           ORDER BY array_position(ARRAY['critical','high','medium','low','info'], f.severity), s.idx, f.file, f.line, f.id`,
          [id],
        )
      ).rows;
      const patches = (
        await db.query(
          'SELECT p.* FROM runtime.patches p JOIN runtime.steps s ON s.id = p.step_id WHERE p.run_id = $1 ORDER BY s.idx, p.id',
          [id],
        )
      ).rows;
      const refusals = (
        await db.query(
          `SELECT g.step_id, g.tool, g.decision, g.reason, g.approval, count(*)::int AS n FROM runtime.gate_decisions g
           JOIN runtime.steps s ON s.id = g.step_id AND s.attempt = g.attempt
           WHERE g.run_id = $1 AND g.decision <> 'allow' GROUP BY g.step_id, g.tool, g.decision, g.reason, g.approval ORDER BY g.step_id, n DESC`,
          [id],
        )
      ).rows;
      return {
        id: run.id,
        template: run.template,
        repo: run.repo,
        status: run.status,
        errorCode: run.error_code,
        environment: run.environment,
        attempts: run.attempts,
        createdAt: iso(run.created_at)!,
        finishedAt: iso(run.finished_at),
        steps: steps.length,
        stepsSucceeded: steps.filter((s) => s.status === 'succeeded').length,
        findings: findings.length,
        stepList: steps.map((s) => ({
          id: s.id,
          key: s.step_key,
          idx: s.idx,
          agent: s.agent,
          status: s.status,
          errorCode: s.error_code,
          attempt: s.attempt,
          durationMs: s.duration_ms,
          llmCalls: s.llm_calls,
          inputTokens: Number(s.input_tokens),
          outputTokens: Number(s.output_tokens),
          toolCalls: s.tool_calls,
          refusals: s.refusals,
          summary: s.output?.summary ?? null,
        })),
        findingList: findings.map((f) => ({
          stepKey: keyOf.get(f.step_id) ?? '?',
          rule: f.rule,
          severity: f.severity,
          file: f.file,
          line: f.line,
          message: f.message,
        })),
        patchList: patches.map((p) => ({ stepKey: keyOf.get(p.step_id) ?? '?', kind: p.kind, title: p.title, diff: p.diff })),
        refusalList: refusals.map((r) => ({
          stepKey: keyOf.get(r.step_id) ?? '?',
          tool: r.tool,
          decision: r.decision,
          reason: r.reason,
          approval: r.approval,
          count: r.n,
        })),
      };
    },
  };
}
