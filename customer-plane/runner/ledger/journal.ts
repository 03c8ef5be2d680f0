import { createHash } from 'node:crypto';
import type { Db } from '../../../shared/db/pool.ts';
import type { ToolResult } from '../../../agents/tools.ts';
import type { DecisionRecord } from '../../gate/gate.ts';
import { jsonb } from './pg-safe.ts';
import { RetryableError } from '../../../shared/worker-errors.ts';
import type { Masker } from '../../secrets/masker.ts';

/**
 * One attempt of one step in the ledger: its gate decisions, tool calls, effects and model turns,
 * and what the previous attempt of the same step left (to replay instead of redo).
 */

export type PriorEffect = {
  id: number;
  seq: number;
  tool: string;
  inputHash: string;
  external: boolean;
  status: 'planned' | 'started' | 'committed' | 'abandoned';
  result: ToolResult | null;
  diff: string | null;
  treeBefore: string | null;
  treeAfter: string | null;
};
export type PriorTurn = { seq: number; message: unknown; inputTokens: number; outputTokens: number };

export type ToolCallRecord = {
  seq: number;
  tool: string;
  input: unknown;
  decision: 'allow' | 'ask' | 'deny';
  reason: string;
  approval: string;
  result: ToolResult;
  durationMs: number;
  replayed: boolean;
};

/** The ledger could not be written: the run is retried later (the work message is not acked), never failed for it. */
export class LedgerError extends RetryableError {
  constructor(cause: unknown) {
    super('ledger_unavailable', 'the run ledger is unavailable', { cause });
  }
}

export function inputHash(tool: string, input: unknown): string {
  return createHash('sha256')
    .update(tool)
    .update('\0')
    .update(JSON.stringify(input ?? null))
    .digest('hex');
}

/**
 * `masker`: the run's secrets are masked in everything written here (tool inputs, results, effect
 * diffs, model turns) — the ledger is a run record that outlives the process. A replayed effect whose
 * diff holds a masked secret of the run has it filled back in (secrets/unmask.ts) and checked against
 * the recorded tree; one that cannot be reproduced fails with `workspace_secret_unreplayable`.
 */
export function createStepJournal(db: Db, ids: { runId: string; stepId: string; attempt: number }, masker?: Masker) {
  const { runId, stepId, attempt } = ids;
  const mask = <T>(v: T): T => (masker ? masker.maskDeep(v) : v);
  let broken: LedgerError | undefined;
  const journal = {
    /** Effects and model turns of the previous attempt, by sequence number. */
    async previous(): Promise<{
      effects: Map<number, PriorEffect>;
      turns: Map<number, PriorTurn>;
      decisions: Map<number, DecisionRecord>;
    }> {
      const effects = new Map<number, PriorEffect>();
      const turns = new Map<number, PriorTurn>();
      const decisions = new Map<number, DecisionRecord>();
      if (attempt <= 1) return { effects, turns, decisions };
      const e = await db.query('SELECT * FROM runtime.effects WHERE step_id = $1 AND attempt = $2 ORDER BY seq', [stepId, attempt - 1]);
      for (const r of e.rows) {
        effects.set(r.seq, {
          id: Number(r.id),
          seq: r.seq,
          tool: r.tool,
          inputHash: r.input_hash,
          external: r.external,
          status: r.status,
          result: r.result,
          diff: r.diff,
          treeBefore: r.tree_before,
          treeAfter: r.tree_after,
        });
      }
      const t = await db.query('SELECT * FROM runtime.model_turns WHERE step_id = $1 AND attempt = $2 ORDER BY seq', [stepId, attempt - 1]);
      for (const r of t.rows)
        turns.set(r.seq, { seq: r.seq, message: r.message, inputTokens: r.input_tokens, outputTokens: r.output_tokens });
      const d = await db.query('SELECT * FROM runtime.gate_decisions WHERE step_id = $1 AND attempt = $2 ORDER BY id', [
        stepId,
        attempt - 1,
      ]);
      for (const r of d.rows) {
        decisions.set(r.seq, {
          runId,
          stepId,
          agent: r.agent,
          tool: r.tool,
          decision: r.decision,
          reason: r.reason,
          approval: r.approval,
          seq: r.seq,
        });
      }
      return { effects, turns, decisions };
    },

    async recordDecision(d: DecisionRecord): Promise<void> {
      await db.query(
        `INSERT INTO runtime.gate_decisions (run_id, step_id, attempt, seq, agent, tool, decision, reason, approval)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [runId, stepId, attempt, d.seq, d.agent, d.tool, d.decision, d.reason, d.approval],
      );
    },

    async recordToolCall(c: ToolCallRecord): Promise<void> {
      const r = c.result;
      await db.query(
        `INSERT INTO runtime.tool_calls (run_id, step_id, attempt, seq, tool, input, decision, reason, approval, ok, result_reason,
           output_chars, truncated, replayed, duration_ms)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (step_id, attempt, seq) DO NOTHING`,
        [
          runId,
          stepId,
          attempt,
          c.seq,
          c.tool.slice(0, 128),
          jsonb(mask(c.input ?? null)),
          c.decision,
          c.reason,
          c.approval,
          r.ok,
          r.ok ? null : r.reason,
          r.ok ? r.output.length : 0,
          r.ok ? (r.truncated ?? false) : false,
          c.replayed,
          c.durationMs,
        ],
      );
    },

    async planEffect(e: { seq: number; tool: string; inputHash: string; external: boolean; treeBefore: string }): Promise<number> {
      const { rows } = await db.query(
        `INSERT INTO runtime.effects (run_id, step_id, attempt, seq, tool, input_hash, external, status, tree_before)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'planned', $8) RETURNING id`,
        [runId, stepId, attempt, e.seq, e.tool, e.inputHash, e.external, e.treeBefore],
      );
      return Number(rows[0].id);
    },

    async startEffect(id: number): Promise<void> {
      await db.query("UPDATE runtime.effects SET status = 'started', started_at = now() WHERE id = $1", [id]);
    },

    async commitEffect(id: number, c: { result: ToolResult; diff: string; treeAfter: string }): Promise<void> {
      await db.query(
        "UPDATE runtime.effects SET status = 'committed', committed_at = now(), result = $2::jsonb, diff = $3, tree_after = $4 WHERE id = $1",
        [id, jsonb(mask(c.result)), mask(c.diff), c.treeAfter],
      );
    },

    /** Carries a committed effect of the previous attempt into this one, as replayed (it did not run again). */
    async replayEffect(prior: PriorEffect): Promise<void> {
      await db.query(
        `INSERT INTO runtime.effects (run_id, step_id, attempt, seq, tool, input_hash, external, status, replayed, result, diff,
           tree_before, tree_after, started_at, committed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'committed', true, $8::jsonb, $9, $10, $11, now(), now())`,
        [
          runId,
          stepId,
          attempt,
          prior.seq,
          prior.tool,
          prior.inputHash,
          prior.external,
          jsonb(prior.result),
          prior.diff,
          prior.treeBefore,
          prior.treeAfter,
        ],
      );
    },

    /** An effect of a previous attempt that started and never committed, discarded with that attempt's state. */
    async abandonEffect(id: number): Promise<void> {
      await db.query("UPDATE runtime.effects SET status = 'abandoned' WHERE id = $1 AND status IN ('planned', 'started')", [id]);
    },

    async recordTurn(t: { seq: number; message: unknown; inputTokens: number; outputTokens: number; replayed: boolean }): Promise<void> {
      await db.query(
        `INSERT INTO runtime.model_turns (step_id, attempt, seq, message, input_tokens, output_tokens, replayed)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)`,
        [stepId, attempt, t.seq, jsonb(mask(t.message)), t.inputTokens, t.outputTokens, t.replayed],
      );
    },
  };
  // Every write goes through here: a failure is remembered, so a step whose agent swallowed it is not recorded as done.
  const guarded = {} as typeof journal;
  for (const [name, fn] of Object.entries(journal) as Array<[keyof typeof journal, (...a: unknown[]) => Promise<unknown>]>) {
    (guarded as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        broken ??= new LedgerError(err);
        throw broken;
      }
    };
  }
  return {
    ...ids,
    ...guarded,
    throwIfBroken(): void {
      if (broken) throw broken;
    },
  };
}
export type StepJournal = ReturnType<typeof createStepJournal>;
