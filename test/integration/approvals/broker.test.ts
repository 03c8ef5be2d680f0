import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newUlid } from '../../../shared/ids.ts';
import { silentLogger } from '../../../shared/log.ts';
import type { RetryableError } from '../../../shared/worker-errors.ts';
import { createStoredBroker } from '../../../customer-plane/approvals/broker.ts';
import type { ApprovalError } from '../../../customer-plane/approvals/errors.ts';
import { createApprovalStore } from '../../../customer-plane/approvals/store.ts';
import type { ApprovalAnswer } from '../../../customer-plane/gate/approval-broker.ts';
import { waitFor } from '../../../scripts/topology/boundary-rig.ts';
import { approvalsDatabase, capturedLogger, pushAsk, testEnvironments } from '../../support/approvals.ts';

/**
 * The stored approval broker against a real Postgres: what the gate's ask becomes, how the waiting
 * step learns of a decision, the deadline, and the rules a decision follows.
 */

test('an ask is stored pending with its preview and the environment’s deadline; a decision wakes the waiting step at once through NOTIFY', async (t) => {
  const { db, brokerOn } = await approvalsDatabase(t);
  // A poll interval of a minute: only the NOTIFY can wake the wait in time.
  const broker = brokerOn({ environments: testEnvironments(600, 60), log: silentLogger(), pollMs: 60_000 });
  const store = createApprovalStore(db);
  const ask = pushAsk({ runId: newUlid(), stepId: newUlid(), seq: 4 });
  const t0 = Date.now();
  const answer = broker.request(ask);
  const pending = await waitFor('the pending approval', async () => (await store.list())[0]);
  assert.equal(pending.status, 'pending');
  assert.deepEqual(
    [pending.runId, pending.stepId, pending.seq, pending.agent, pending.tool, pending.reason, pending.environment],
    [ask.runId, ask.stepId, 4, 'fixer', 'run_command', 'consequential_action', 'sandbox'],
  );
  assert.deepEqual(pending.consequences, ['push']);
  assert.deepEqual(pending.preview, ask.preview, 'argv, cwd, paths and secret names as the gate built them');
  const deadline = Date.parse(pending.deadlineAt) - Date.parse(pending.createdAt);
  assert.equal(deadline, 600_000, 'the environment’s deadline');
  assert.equal(Date.parse(pending.deadlineAt) - Date.parse(pending.warnAt), 60_000);
  assert.ok(Date.parse(pending.createdAt) >= t0 - 5);

  const decidedAt = Date.now();
  await store.decide(pending.id, 'approved', { who: 'cli:alice', note: 'ship it', now: Date.now() });
  const got = await answer;
  const wokeAfter = Date.now() - decidedAt;
  assert.deepEqual(got, { outcome: 'approved', note: 'approved by cli:alice: ship it' });
  assert.ok(wokeAfter < 5_000, `woken by the decision's NOTIFY (after ${wokeAfter} ms), not by the minute-long poll`);
  const stored = (await store.get(pending.id))!;
  assert.deepEqual([stored.status, stored.decidedBy, stored.note], ['approved', 'cli:alice', 'ship it']);
});

test('the deadline: one warning is logged before it, then the approval expires, the answer is timeout (never approved), and a late decision is refused', async (t) => {
  const { db, brokerOn } = await approvalsDatabase(t);
  let now = Date.parse('2027-03-01T10:00:00Z');
  const { log, lines } = capturedLogger();
  const broker = brokerOn({ environments: testEnvironments(60, 10), log, clock: () => now, pollMs: 10 });
  const store = createApprovalStore(db);
  let answer: ApprovalAnswer | undefined;
  void broker.request(pushAsk({ runId: newUlid(), stepId: newUlid() })).then((a) => (answer = a));
  const pending = await waitFor('the pending approval', async () => (await store.list())[0]);
  const warnings = () => lines.filter((l) => l.msg?.toString().startsWith('approval expires soon'));

  now += 49_000;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(warnings().length, 0, 'no warning 11 s before the deadline');
  now += 2_000;
  await waitFor('the warning', () => warnings().length === 1, 5_000, 10);
  now += 5_000;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(warnings().length, 1, 'warned once');
  assert.equal(warnings()[0].approvalId, pending.id);
  assert.equal(warnings()[0].secondsLeft, 9);
  assert.equal(answer, undefined, 'still waiting before the deadline');
  now += 4_000;
  await waitFor('the answer', () => answer, 5_000, 10);
  assert.equal(answer!.outcome, 'timeout');
  assert.equal((await store.get(pending.id))!.status, 'expired');
  assert.ok(lines.some((l) => l.msg?.toString().startsWith('approval expired') && l.level === 40));
  await assert.rejects(
    store.decide(pending.id, 'approved', { who: 'cli:late', now }),
    (err: ApprovalError) => err.code === 'approval_expired' && err.status === 409,
  );
  assert.equal((await store.get(pending.id))!.status, 'expired', 'the late approval changed nothing');
});

test('a pending approval past its deadline cannot be approved even when no runner is waiting: the decision is refused and the approval marked expired', async (t) => {
  const { db } = await approvalsDatabase(t);
  const start = Date.parse('2027-03-01T10:00:00Z');
  const store = createApprovalStore(db);
  const ask = pushAsk({ runId: newUlid(), stepId: newUlid() });
  const { approval } = await store.open(ask, { now: start, warnAt: start + 50_000, deadlineAt: start + 60_000 });
  await assert.rejects(store.decide(approval.id, 'approved', { who: 'x', now: start + 60_000 }), { code: 'approval_expired' });
  assert.equal((await store.get(approval.id))!.status, 'expired');
});

test('a decision is taken once: twice, the other way, on an unknown id, or by two deciders at once — each refused with its code, nothing changed', async (t) => {
  const { db } = await approvalsDatabase(t);
  const store = createApprovalStore(db);
  const now = Date.now();
  const timing = { now, warnAt: now + 50_000, deadlineAt: now + 60_000 };
  const { approval } = await store.open(pushAsk({ runId: newUlid(), stepId: newUlid() }), timing);
  await store.decide(approval.id, 'rejected', { who: 'cli:bob', note: 'no pushes today', now });
  for (const d of ['rejected', 'approved'] as const) {
    await assert.rejects(store.decide(approval.id, d, { who: 'cli:eve', now }), (err: ApprovalError) => {
      assert.deepEqual([err.code, err.status, err.details?.status], ['approval_already_decided', 409, 'rejected']);
      return true;
    });
  }
  const after = (await store.get(approval.id))!;
  assert.deepEqual([after.status, after.decidedBy, after.note], ['rejected', 'cli:bob', 'no pushes today']);
  await assert.rejects(store.decide(newUlid(), 'approved', { who: 'x', now }), (err: ApprovalError) => {
    assert.deepEqual([err.code, err.status], ['approval_not_found', 404]);
    return true;
  });

  const race = (await store.open(pushAsk({ runId: newUlid(), stepId: newUlid() }), timing)).approval;
  const outcomes = await Promise.allSettled([
    store.decide(race.id, 'approved', { who: 'a', now }),
    store.decide(race.id, 'rejected', { who: 'b', now }),
    store.decide(race.id, 'approved', { who: 'c', now }),
  ]);
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, 'exactly one decider wins');
  for (const o of outcomes.filter((x) => x.status === 'rejected'))
    assert.equal(((o as PromiseRejectedResult).reason as ApprovalError).code, 'approval_already_decided');
  const won = outcomes.find((o) => o.status === 'fulfilled') as PromiseFulfilledResult<{ status: string; decidedBy: string }>;
  const final = (await store.get(race.id))!;
  assert.deepEqual([final.status, final.decidedBy], [won.value.status, won.value.decidedBy]);
});

test('the same ask from a resumed step (another runner, another workspace path) finds its approval: still pending it waits on it, decided it gets the decision; another action at that place supersedes it', async (t) => {
  const { db, brokerOn } = await approvalsDatabase(t);
  const broker = brokerOn({ environments: testEnvironments(), log: silentLogger(), pollMs: 50 });
  const store = createApprovalStore(db);
  const ids = { runId: newUlid(), stepId: newUlid(), seq: 2 };
  const first = new AbortController();
  const waiting = broker.request(pushAsk({ ...ids, signal: first.signal }));
  const pending = await waitFor('the pending approval', async () => (await store.list())[0]);
  first.abort(); // the first runner goes away
  await assert.rejects(waiting, (err: RetryableError) => err.code === 'approval_interrupted' && err.retryable);

  const resumed = pushAsk(ids);
  resumed.preview = { ...resumed.preview, cwd: '/ws/two' };
  const again = broker.request(resumed);
  await new Promise((r) => setTimeout(r, 150));
  assert.equal((await store.list({ status: 'all' })).length, 1, 'no second approval for the same action');
  await store.decide(pending.id, 'approved', { who: 'cli:alice', now: Date.now() });
  assert.equal((await again).outcome, 'approved');
  assert.equal((await broker.request(pushAsk(ids))).outcome, 'approved', 'decided: the stored decision, at once');

  const other = { runId: newUlid(), stepId: newUlid(), seq: 1 };
  void broker.request(pushAsk({ ...other, remote: 'origin' })).catch(() => {});
  const old = await waitFor('the first ask', async () => (await store.list()).find((a) => a.stepId === other.stepId));
  void broker.request(pushAsk({ ...other, remote: 'upstream' })).catch(() => {});
  await waitFor('the old ask superseded', async () => (await store.get(old.id))!.status === 'superseded');
  await assert.rejects(store.decide(old.id, 'approved', { who: 'x', now: Date.now() }), { code: 'approval_superseded' });
  const current = (await store.list()).find((a) => a.stepId === other.stepId)!;
  assert.deepEqual(current.preview.argv, [['git', 'push', 'upstream', 'main']]);
});

test('stopping the broker interrupts every wait with a retryable error and leaves the approvals pending for the next runner', async (t) => {
  const { db, brokerOn } = await approvalsDatabase(t);
  const broker = brokerOn({ environments: testEnvironments(), log: silentLogger(), pollMs: 60_000 });
  const store = createApprovalStore(db);
  const waits = [1, 2].map((seq) => broker.request(pushAsk({ runId: newUlid(), stepId: newUlid(), seq })));
  await waitFor('two pending approvals', async () => (await store.list()).length === 2);
  await broker.close();
  for (const w of waits) await assert.rejects(w, (err: RetryableError) => err.code === 'approval_interrupted' && err.retryable === true);
  assert.deepEqual(
    (await store.list()).map((a) => a.status),
    ['pending', 'pending'],
  );
  await assert.rejects(broker.request(pushAsk({ runId: newUlid(), stepId: newUlid() })), { code: 'approval_interrupted' });
});

test('the approvals table unreachable is a retryable failure of the wait (the run is given back), never an answer', async () => {
  const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  const db = {
    query: async () => Promise.reject(down),
    connect: async () => Promise.reject(down),
  } as unknown as Parameters<typeof createStoredBroker>[0]['db'];
  const broker = createStoredBroker({ db, environments: testEnvironments(), log: silentLogger() });
  await assert.rejects(broker.request(pushAsk({ runId: newUlid(), stepId: newUlid() })), (err: RetryableError) => {
    assert.deepEqual(
      [err.code, err.retryable, err.cause, err.message],
      ['approvals_unavailable', true, down, 'the approvals table is unavailable'],
    );
    return true;
  });
  await broker.close();
});
