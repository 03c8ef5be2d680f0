import { test } from 'node:test';
import assert from 'node:assert/strict';
import { approvalTiming, nextWaitStep } from '../../../../customer-plane/approvals/deadline.ts';
import type { ApprovalRecord, ApprovalStatus } from '../../../../customer-plane/approvals/store.ts';
import { approvalRecord } from '../../../support/approval-record.ts';

const T0 = Date.parse('2027-03-01T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** An approval asked at T0 with a 60 s deadline and its warning 10 s before. */
function approval(over: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return approvalRecord({ createdAt: iso(T0), warnAt: iso(T0 + 50_000), deadlineAt: iso(T0 + 60_000), ...over });
}

test('an ask gets its environment’s deadline, and its warning that many seconds before it', () => {
  assert.deepEqual(approvalTiming({ approval: { deadlineSeconds: 600, warnBeforeSeconds: 60 } }, T0), {
    now: T0,
    deadlineAt: T0 + 600_000,
    warnAt: T0 + 540_000,
  });
  assert.deepEqual(approvalTiming({ approval: { deadlineSeconds: 5, warnBeforeSeconds: 0 } }, T0), {
    now: T0,
    deadlineAt: T0 + 5_000,
    warnAt: T0 + 5_000,
  });
});

test('only a person’s approval answers approved; a rejection, an expiry, a superseded ask and one closed with its run all refuse the action, each saying why', () => {
  const answer = (status: ApprovalStatus, over: Partial<ApprovalRecord> = {}) => {
    const step = nextWaitStep(approval({ status, ...over }), T0 + 1_000, 1_000);
    assert.equal(step.kind, 'answer', status);
    return step.kind === 'answer' ? step.answer : undefined;
  };
  assert.deepEqual(answer('approved', { decidedBy: 'cli:alice', note: 'ship it' }), {
    outcome: 'approved',
    note: 'approved by cli:alice: ship it',
  });
  assert.deepEqual(answer('rejected', { decidedBy: 'local-admin' }), { outcome: 'rejected', note: 'rejected by local-admin' });
  assert.deepEqual(answer('rejected'), { outcome: 'rejected', note: 'rejected by a person' });
  assert.deepEqual(answer('expired'), {
    outcome: 'timeout',
    note: `nobody decided before the deadline (${iso(T0 + 60_000)})`,
  });
  assert.deepEqual(answer('superseded'), { outcome: 'rejected', note: 'superseded by another action of the same step' });
  assert.deepEqual(answer('closed', { note: 'its run failed' }), { outcome: 'rejected', note: 'closed: its run failed' });
  assert.deepEqual(answer('closed'), { outcome: 'rejected', note: 'closed: its run ended' });
});

test('a decided approval answers at once, even past its deadline: the decision was taken in time', () => {
  const step = nextWaitStep(approval({ status: 'approved', decidedBy: 'x' }), T0 + 3_600_000, 1_000);
  assert.deepEqual(step.kind === 'answer' && step.answer.outcome, 'approved');
});

test('a pending approval is never approved by default: at its deadline, and after it, it is to be expired', () => {
  for (const now of [T0 + 60_000, T0 + 60_001, T0 + 3_600_000])
    assert.deepEqual(nextWaitStep(approval(), now, 1_000), { kind: 'expire' }, `at +${now - T0} ms`);
  assert.equal(nextWaitStep(approval(), T0 + 59_999, 1_000).kind, 'wait', 'one millisecond before, it still waits');
});

test('the warning is due once, from its time until the deadline, and not again after it was logged', () => {
  const step = (now: number, over: Partial<ApprovalRecord> = {}) => nextWaitStep(approval(over), now, 60_000);
  assert.deepEqual(step(T0 + 49_999), { kind: 'wait', warn: false, ms: 1 }, 'just before the warning: sleep until it');
  assert.deepEqual(step(T0 + 50_000), { kind: 'wait', warn: true, ms: 10_000 }, 'at the warning: warn, then sleep until the deadline');
  assert.deepEqual(step(T0 + 55_000), { kind: 'wait', warn: true, ms: 5_000 }, 'a waiter that missed the moment still warns');
  assert.deepEqual(step(T0 + 55_000, { warnedAt: iso(T0 + 50_000) }), { kind: 'wait', warn: false, ms: 5_000 }, 'warned already');
});

test('the waiter looks again at least once per poll interval, and never sleeps past the warning or the deadline', () => {
  assert.deepEqual(nextWaitStep(approval(), T0, 1_000), { kind: 'wait', warn: false, ms: 1_000 }, 'the poll interval');
  assert.deepEqual(nextWaitStep(approval(), T0 + 10_000, 60_000), { kind: 'wait', warn: false, ms: 40_000 }, 'until the warning');
  assert.deepEqual(
    nextWaitStep(approval({ warnedAt: iso(T0 + 50_000) }), T0 + 59_000, 60_000),
    { kind: 'wait', warn: false, ms: 1_000 },
    'until the deadline',
  );
});
