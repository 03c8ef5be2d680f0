import type { ApprovalAnswer } from '../gate/approval-broker.ts';
import type { Environment } from '../environments/environments.ts';
import type { ApprovalRecord } from './store.ts';

/**
 * The decision and deadline rules of a waiting approval, apart from the table and the wait itself, so
 * they can be proved without a database: what a stored approval answers, when it expires, when the one
 * warning is due, and how long the waiter may sleep before it must look again.
 */

/** When an ask made at `now` in `environment` is warned about and expires (epoch milliseconds). */
export function approvalTiming(environment: Pick<Environment, 'approval'>, now: number) {
  const deadlineAt = now + environment.approval.deadlineSeconds * 1000;
  return { now, deadlineAt, warnAt: deadlineAt - environment.approval.warnBeforeSeconds * 1000 };
}

export type WaitStep =
  /** The approval is settled: this is the gate's answer. Only a person's `approved` lets the action run. */
  | { kind: 'answer'; answer: ApprovalAnswer }
  /** Still pending at or past its deadline: mark it expired (then read it again). */
  | { kind: 'expire' }
  /** Still pending before its deadline: log the warning now if `warn`, then wait at most `ms`. */
  | { kind: 'wait'; warn: boolean; ms: number };

/** What the waiter does next with the approval as stored, at `now`, re-reading at least every `pollMs`. */
export function nextWaitStep(current: ApprovalRecord, now: number, pollMs: number): WaitStep {
  switch (current.status) {
    case 'approved':
    case 'rejected':
      return {
        kind: 'answer',
        answer: {
          outcome: current.status,
          note: `${current.status} by ${current.decidedBy ?? 'a person'}${current.note ? `: ${current.note}` : ''}`,
        },
      };
    case 'expired':
      return { kind: 'answer', answer: { outcome: 'timeout', note: `nobody decided before the deadline (${current.deadlineAt})` } };
    case 'superseded':
      return { kind: 'answer', answer: { outcome: 'rejected', note: 'superseded by another action of the same step' } };
    case 'closed':
      // Its run or step ended another way; nothing may act on it any more.
      return { kind: 'answer', answer: { outcome: 'rejected', note: `closed: ${current.note ?? 'its run ended'}` } };
  }
  const deadline = Date.parse(current.deadlineAt);
  const warnAt = Date.parse(current.warnAt);
  if (now >= deadline) return { kind: 'expire' };
  // Wake at the warning if it is still ahead, at the deadline, and never later than one poll interval.
  const next = Math.min(now < warnAt ? warnAt : deadline, now + pollMs);
  return { kind: 'wait', warn: now >= warnAt && !current.warnedAt, ms: next - now };
}
