import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newUlid } from '../../../shared/ids.ts';
import type { ApprovalError } from '../../../customer-plane/approvals/errors.ts';
import { createApprovalStore } from '../../../customer-plane/approvals/store.ts';
import { approvalsDatabase, pushAsk } from '../../support/approvals.ts';

/**
 * The approvals store against a real Postgres, without a waiting runner: each conditional change says
 * whether this call made it (so one caller logs or answers), a scope closes only what it names, and a
 * refused decision tells the person why in words they can act on.
 */

const T0 = Date.parse('2027-03-01T10:00:00Z');
const timing = { now: T0, warnAt: T0 + 50_000, deadlineAt: T0 + 60_000 };

test('the same ask opened twice is created once: the second open returns the stored approval, not a new one', async (t) => {
  const { db } = await approvalsDatabase(t);
  const store = createApprovalStore(db);
  const ask = pushAsk({ runId: newUlid(), stepId: newUlid() });
  const first = await store.open(ask, timing);
  assert.equal(first.created, true);
  assert.equal(first.approval.status, 'pending');
  const second = await store.open(ask, { now: T0 + 5_000, warnAt: T0 + 55_000, deadlineAt: T0 + 65_000 });
  assert.equal(second.created, false);
  assert.equal(second.approval.id, first.approval.id);
  assert.equal(second.approval.deadlineAt, first.approval.deadlineAt, 'the stored deadline stands');
  assert.equal((await store.list({ status: 'all' })).length, 1);
});

test('expiry and the warning are each taken once: only the first call past the deadline expires, only the first warning is marked, nothing before the deadline', async (t) => {
  const { db } = await approvalsDatabase(t);
  const store = createApprovalStore(db);
  const { approval } = await store.open(pushAsk({ runId: newUlid(), stepId: newUlid() }), timing);
  assert.equal(await store.expire(approval.id, T0 + 59_999), false, 'not before the deadline');
  assert.equal((await store.get(approval.id))!.status, 'pending');
  assert.equal(await store.markWarned(approval.id, T0 + 51_000), true, 'the first warning is this caller’s to log');
  assert.equal(await store.markWarned(approval.id, T0 + 52_000), false, 'a second caller does not warn again');
  assert.equal(await store.expire(approval.id, T0 + 60_000), true);
  assert.equal(await store.expire(approval.id, T0 + 61_000), false, 'already expired: not this call');
  assert.equal((await store.get(approval.id))!.status, 'expired');
});

test('expiring the overdue marks only the pending approvals past their deadline and counts them', async (t) => {
  const { db } = await approvalsDatabase(t);
  const store = createApprovalStore(db);
  const ask = () => pushAsk({ runId: newUlid(), stepId: newUlid() });
  const overdue = (await store.open(ask(), timing)).approval;
  const later = (await store.open(ask(), { now: T0, warnAt: T0 + 500_000, deadlineAt: T0 + 600_000 })).approval;
  const decided = (await store.open(ask(), timing)).approval;
  await store.decide(decided.id, 'rejected', { who: 'cli:bob', now: T0 });
  assert.equal(await store.expireOverdue(T0 + 60_000), 1);
  assert.deepEqual(
    [(await store.get(overdue.id))!.status, (await store.get(later.id))!.status, (await store.get(decided.id))!.status],
    ['expired', 'pending', 'rejected'],
  );
  assert.equal(await store.expireOverdue(T0 + 60_000), 0);
});

test('closing a step closes only that step’s pending approvals, closing the run the rest; a decision afterwards is refused with approval_closed and the reason', async (t) => {
  const { db } = await approvalsDatabase(t);
  const store = createApprovalStore(db);
  const runId = newUlid();
  const [stepA, stepB] = [newUlid(), newUlid()];
  const a = (await store.open(pushAsk({ runId, stepId: stepA }), timing)).approval;
  const b = (await store.open(pushAsk({ runId, stepId: stepB }), timing)).approval;
  const otherRun = (await store.open(pushAsk({ runId: newUlid(), stepId: newUlid() }), timing)).approval;

  assert.equal(await store.closePending({ runId, stepId: stepA }, 'the step failed', T0 + 1_000), 1);
  assert.equal((await store.get(b.id))!.status, 'pending', 'the other step of the run still waits');
  const closedA = (await store.get(a.id))!;
  assert.deepEqual([closedA.status, closedA.note], ['closed', 'the step failed']);
  assert.equal(await store.closePending({ runId }, 'the run was dead-lettered', T0 + 2_000), 1);
  assert.equal((await store.get(b.id))!.status, 'closed');
  assert.equal((await store.get(otherRun.id))!.status, 'pending', 'another run is untouched');

  await assert.rejects(store.decide(a.id, 'approved', { who: 'cli:alice', now: T0 + 3_000 }), (err: ApprovalError) => {
    assert.deepEqual(
      [err.code, err.status, err.message, err.details],
      ['approval_closed', 409, 'the approval was closed: the step failed; the action will not run', { closedAt: closedA.decidedAt }],
    );
    return true;
  });
  assert.equal((await store.get(a.id))!.status, 'closed', 'the refused decision changed nothing');
});

test('a refused decision says why in words: unknown, expired (with its deadline), superseded, already decided', async (t) => {
  const { db } = await approvalsDatabase(t);
  const store = createApprovalStore(db);
  const refusal = async (id: string, now: number) => {
    const err = (await store.decide(id, 'approved', { who: 'cli:eve', now }).then(
      () => assert.fail('the decision was taken'),
      (e: unknown) => e,
    )) as ApprovalError;
    return { code: err.code, message: err.message, details: err.details };
  };
  assert.deepEqual(await refusal(newUlid(), T0), {
    code: 'approval_not_found',
    message: 'no approval with that id in this customer plane',
    details: undefined,
  });

  const late = (await store.open(pushAsk({ runId: newUlid(), stepId: newUlid() }), timing)).approval;
  assert.deepEqual(await refusal(late.id, T0 + 60_000), {
    code: 'approval_expired',
    message: `the approval expired at ${late.deadlineAt}; the action was denied`,
    details: { deadlineAt: late.deadlineAt },
  });

  const ids = { runId: newUlid(), stepId: newUlid() };
  const old = (await store.open(pushAsk({ ...ids, remote: 'origin' }), timing)).approval;
  await store.open(pushAsk({ ...ids, remote: 'upstream' }), timing);
  assert.deepEqual(await refusal(old.id, T0), {
    code: 'approval_superseded',
    message: 'the step asked for a different action in its place; this approval no longer applies',
    details: undefined,
  });

  const done = (await store.open(pushAsk({ runId: newUlid(), stepId: newUlid() }), timing)).approval;
  const decided = await store.decide(done.id, 'rejected', { who: 'cli:bob', now: T0 });
  assert.deepEqual(await refusal(done.id, T0), {
    code: 'approval_already_decided',
    message: 'the approval was already rejected',
    details: { status: 'rejected', decidedAt: decided.decidedAt },
  });
});

test('a list is limited to what was asked for, newest first', async (t) => {
  const { db } = await approvalsDatabase(t);
  const store = createApprovalStore(db);
  const ids: string[] = [];
  for (const i of [0, 1, 2])
    ids.push((await store.open(pushAsk({ runId: newUlid(), stepId: newUlid() }), { ...timing, now: T0 + i })).approval.id);
  assert.deepEqual(
    (await store.list({ limit: 2 })).map((a) => a.id),
    [ids[2], ids[1]],
  );
  assert.equal((await store.list()).length, 3);
});
