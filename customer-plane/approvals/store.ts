import { createHash } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { canonicalJson } from '../../shared/canonical-json.ts';
import { type Db, inTransaction } from '../../shared/db/pool.ts';
import { newUlid } from '../../shared/ids.ts';
import type { ActionPreview, ApprovalRequest } from '../gate/approval-broker.ts';
import { jsonb } from '../runner/ledger/pg-safe.ts';
import { ApprovalError } from './errors.ts';

/**
 * The approvals table (schema `approvals`): what the broker stores when the gate asks, and what a
 * person decides through the local API or the CLI. Every change is one conditional statement, so two
 * deciders, or a decider and the deadline, never both win; a decision NOTIFYs the waiting runner in
 * the same statement.
 */
export const DECIDED_CHANNEL = 'approvals_decided';

export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired', 'superseded', 'closed'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export type ApprovalRecord = {
  id: string;
  runId: string;
  stepId: string;
  seq: number;
  agent: string;
  tool: string;
  /** Why the gate asked (consequential_action, environment_policy, …). */
  reason: string;
  consequences: string[];
  environment: string;
  autonomy: string;
  preview: ActionPreview;
  status: ApprovalStatus;
  createdAt: string;
  warnAt: string;
  deadlineAt: string;
  warnedAt: string | null;
  decidedAt: string | null;
  decidedBy: string | null;
  note: string | null;
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function record(r: pg.QueryResultRow): ApprovalRecord {
  return {
    id: r.id,
    runId: r.run_id,
    stepId: r.step_id,
    seq: r.seq,
    agent: r.agent,
    tool: r.tool,
    reason: r.reason,
    consequences: r.consequences,
    environment: r.environment,
    autonomy: r.autonomy,
    preview: r.preview,
    status: r.status,
    createdAt: iso(r.created_at)!,
    warnAt: iso(r.warn_at)!,
    deadlineAt: iso(r.deadline_at)!,
    warnedAt: iso(r.warned_at),
    decidedAt: iso(r.decided_at),
    decidedBy: r.decided_by,
    note: r.note,
  };
}

/** The action as a person sees it, without the host-specific cwd: a run resumed on another runner asks about the same action. */
export function actionKey(req: Pick<ApprovalRequest, 'tool' | 'preview'>): string {
  const { cwd: _hostPath, ...rest } = req.preview;
  return createHash('sha256')
    .update(canonicalJson({ tool: req.tool, preview: rest }))
    .digest('hex');
}

export type Decision = 'approved' | 'rejected';

/** A person's note on a decision, kept locally with the approval: text Postgres can store, at most 500 characters. */
export const decisionNote = z
  .string()
  .max(500)
  .refine((s) => !s.includes('\u0000') && s.isWellFormed(), 'must be text without NUL characters');

export function createApprovalStore(db: Db) {
  async function get(id: string): Promise<ApprovalRecord | undefined> {
    const { rows } = await db.query('SELECT * FROM approvals.requests WHERE id = $1', [id]);
    return rows[0] ? record(rows[0]) : undefined;
  }

  /** Marks a pending approval whose deadline has passed expired; true when this call did it. */
  async function expire(id: string, now: number): Promise<boolean> {
    const { rows } = await db.query(
      `WITH d AS (
         UPDATE approvals.requests SET status = 'expired', decided_at = $2
         WHERE id = $1 AND status = 'pending' AND deadline_at <= $2 RETURNING id
       )
       SELECT pg_notify($3, d.id) FROM d`,
      [id, new Date(now), DECIDED_CHANNEL],
    );
    return rows.length > 0;
  }

  return {
    get,

    /**
     * The approval for this ask: created pending with its deadline, or — when a previous attempt of the
     * step asked the same thing — that one, whatever became of it. Another action pending at the same
     * place (the step took another path) is superseded.
     */
    async open(
      req: Omit<ApprovalRequest, 'signal'>,
      timing: { now: number; warnAt: number; deadlineAt: number },
    ): Promise<{ approval: ApprovalRecord; created: boolean }> {
      const key = actionKey(req);
      return inTransaction(db, async (c) => {
        const inserted = await c.query(
          `INSERT INTO approvals.requests (id, run_id, step_id, seq, action_key, agent, tool, reason, consequences, environment,
             autonomy, preview, status, created_at, warn_at, deadline_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, 'pending', $13, $14, $15)
           ON CONFLICT (step_id, seq, action_key) DO NOTHING RETURNING *`,
          [
            newUlid(),
            req.runId,
            req.stepId,
            req.seq,
            key,
            req.agent,
            req.tool,
            req.reason,
            [...req.consequences],
            req.policy.environment,
            req.policy.autonomy,
            jsonb(req.preview),
            new Date(timing.now),
            new Date(timing.warnAt),
            new Date(timing.deadlineAt),
          ],
        );
        await c.query(
          `UPDATE approvals.requests SET status = 'superseded', decided_at = $4
           WHERE step_id = $1 AND seq = $2 AND action_key <> $3 AND status = 'pending'`,
          [req.stepId, req.seq, key, new Date(timing.now)],
        );
        if (inserted.rows[0]) return { approval: record(inserted.rows[0]), created: true };
        const { rows } = await c.query('SELECT * FROM approvals.requests WHERE step_id = $1 AND seq = $2 AND action_key = $3', [
          req.stepId,
          req.seq,
          key,
        ]);
        return { approval: record(rows[0]), created: false };
      });
    },

    /**
     * A person's decision. Taken only while the approval is pending and before its deadline; otherwise
     * an ApprovalError says why (unknown, expired, already decided, superseded) and nothing changes —
     * except that an approval found past its deadline is marked expired, as the waiting runner would.
     */
    async decide(id: string, decision: Decision, by: { who: string; note?: string; now: number }): Promise<ApprovalRecord> {
      const { rows } = await db.query(
        `WITH d AS (
           UPDATE approvals.requests SET status = $2, decided_at = $3, decided_by = $4, note = $5
           WHERE id = $1 AND status = 'pending' AND deadline_at > $3 RETURNING *
         )
         SELECT d.*, pg_notify($6, d.id) FROM d`,
        [id, decision, new Date(by.now), by.who, by.note ?? null, DECIDED_CHANNEL],
      );
      if (rows[0]) return record(rows[0]);
      const current = await get(id);
      if (!current) throw new ApprovalError('approval_not_found', 'no approval with that id in this customer plane');
      if (current.status === 'pending' || current.status === 'expired') {
        if (current.status === 'pending') await expire(id, by.now);
        throw new ApprovalError('approval_expired', `the approval expired at ${current.deadlineAt}; the action was denied`, {
          details: { deadlineAt: current.deadlineAt },
        });
      }
      if (current.status === 'superseded')
        throw new ApprovalError(
          'approval_superseded',
          'the step asked for a different action in its place; this approval no longer applies',
        );
      if (current.status === 'closed')
        throw new ApprovalError('approval_closed', `the approval was closed: ${current.note ?? 'its run ended'}; the action will not run`, {
          details: { closedAt: current.decidedAt },
        });
      throw new ApprovalError('approval_already_decided', `the approval was already ${current.status}`, {
        details: { status: current.status, decidedAt: current.decidedAt },
      });
    },

    expire,

    /**
     * Closes what is still pending of a run (or of one of its steps) that ended another way — failed,
     * dead-lettered, skipped, or finished without the action — with the reason as its note: nobody is
     * asked any more, and a decision afterwards is refused with approval_closed. Returns how many.
     */
    async closePending(scope: { runId: string; stepId?: string }, reason: string, now: number): Promise<number> {
      const { rows } = await db.query(
        `WITH d AS (
           UPDATE approvals.requests SET status = 'closed', decided_at = $3, note = $4
           WHERE run_id = $1 AND ($2::text IS NULL OR step_id = $2) AND status = 'pending' RETURNING id
         )
         SELECT pg_notify($5, d.id) FROM d`,
        [scope.runId, scope.stepId ?? null, new Date(now), reason, DECIDED_CHANNEL],
      );
      return rows.length;
    },

    /** Every pending approval past its deadline, marked expired (what a list shows is then true). */
    async expireOverdue(now: number): Promise<number> {
      const { rows } = await db.query(
        `WITH d AS (
           UPDATE approvals.requests SET status = 'expired', decided_at = $1
           WHERE status = 'pending' AND deadline_at <= $1 RETURNING id
         )
         SELECT pg_notify($2, d.id) FROM d`,
        [new Date(now), DECIDED_CHANNEL],
      );
      return rows.length;
    },

    /** Records that the expiry warning was logged; true for the one caller that should log it. */
    async markWarned(id: string, now: number): Promise<boolean> {
      const { rowCount } = await db.query(
        "UPDATE approvals.requests SET warned_at = $2 WHERE id = $1 AND status = 'pending' AND warned_at IS NULL",
        [id, new Date(now)],
      );
      return (rowCount ?? 0) > 0;
    },

    /** Newest first; `pending` by default. */
    async list(opts: { status?: ApprovalStatus | 'all'; limit?: number } = {}): Promise<ApprovalRecord[]> {
      const status = opts.status ?? 'pending';
      const { rows } = await db.query(
        `SELECT * FROM approvals.requests WHERE ($1::text = 'all' OR status = $1) ORDER BY created_at DESC, id DESC LIMIT $2`,
        [status, opts.limit ?? 100],
      );
      return rows.map(record);
    },
  };
}
export type ApprovalStore = ReturnType<typeof createApprovalStore>;
