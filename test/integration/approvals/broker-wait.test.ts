import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../../shared/db/pool.ts';
import { newUlid } from '../../../shared/ids.ts';
import { silentLogger } from '../../../shared/log.ts';
import type { RetryableError } from '../../../shared/worker-errors.ts';
import { createApprovalStore } from '../../../customer-plane/approvals/store.ts';
import { waitFor } from '../../../scripts/topology/boundary-rig.ts';
import { approvalsDatabase, capturedLogger, pushAsk, testEnvironments } from '../../support/approvals.ts';

/**
 * How the stored broker waits, against a real Postgres: what it refuses before storing anything, what
 * it logs for the person who must decide, how it learns of a decision whose notification it missed,
 * that it does not hammer the database while waiting, and how it fails when the approval goes away.
 */

const READ_ONE = 'SELECT * FROM approvals.requests WHERE id = $1';

/** The pool, with `before` run ahead of every pool query (the broker's reads of one approval go through it). */
function hooked(db: Db, before: (sql: string, params: unknown[]) => Promise<void>): Db {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'query')
        return async (sql: string, params: unknown[]) => {
          await before(sql, params);
          return target.query(sql, params);
        };
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A pool that runs `action` (with the read's parameters) just before the first read of the approval, once. */
function onFirstRead(db: Db, action: (params: unknown[]) => Promise<unknown>): Db {
  let pending = true;
  return hooked(db, async (sql, params) => {
    if (sql !== READ_ONE || !pending) return;
    pending = false;
    await action(params);
  });
}

test('nothing is stored for an ask the broker cannot wait on: an environment this plane does not have is rejected, a stopped broker or an aborted step is interrupted', async (t) => {
  const { db, brokerOn } = await approvalsDatabase(t);
  const store = createApprovalStore(db);
  const broker = brokerOn({ environments: testEnvironments(), log: silentLogger(), pollMs: 50 });
  const elsewhere = pushAsk({ runId: newUlid(), stepId: newUlid() });
  elsewhere.policy = { ...elsewhere.policy, environment: 'staging' };
  assert.deepEqual(await broker.request(elsewhere), {
    outcome: 'rejected',
    note: 'the run names an environment this customer plane does not have',
  });

  const aborted = new AbortController();
  aborted.abort();
  await assert.rejects(broker.request(pushAsk({ runId: newUlid(), stepId: newUlid(), signal: aborted.signal })), (err: RetryableError) => {
    assert.deepEqual(
      [err.code, err.retryable, err.message],
      ['approval_interrupted', true, 'the runner stopped while an approval was pending; the run resumes on the next runner'],
    );
    return true;
  });
  await broker.close();
  await assert.rejects(broker.request(pushAsk({ runId: newUlid(), stepId: newUlid() })), { code: 'approval_interrupted' });
  assert.deepEqual(await store.list({ status: 'all' }), [], 'no approval was stored for any of them');
});

test('the log tells the operator where to decide: a new ask logs its id and action, a resumed one says the stored approval stands, a decision logs its outcome and who took it', async (t) => {
  const { db, brokerOn } = await approvalsDatabase(t);
  const store = createApprovalStore(db);
  const { log, lines } = capturedLogger();
  const broker = brokerOn({ environments: testEnvironments(600, 60), log, pollMs: 50 });
  const of = (id: string) => lines.filter((l) => l.approvalId === id);

  const ids = { runId: newUlid(), stepId: newUlid() };
  const first = new AbortController();
  const waiting = broker.request(pushAsk({ ...ids, signal: first.signal }));
  const pending = await waitFor('the pending approval', async () => (await store.list())[0]);
  await waitFor('the request logged', () => of(pending.id).length > 0);
  const asked = of(pending.id)[0];
  assert.equal(asked.msg, 'approval requested: waiting for a person (npm run approvals -- show <id>)');
  assert.deepEqual(
    [asked.workflowId, asked.stepId, asked.agent, asked.tool, asked.reason, asked.environment, asked.deadlineAt],
    [ids.runId, ids.stepId, 'fixer', 'run_command', 'consequential_action', 'sandbox', pending.deadlineAt],
  );
  first.abort();
  await assert.rejects(waiting, { code: 'approval_interrupted' });

  const again = broker.request(pushAsk(ids));
  await waitFor('the resumed ask logged', () => of(pending.id).length > 1);
  assert.deepEqual(
    [of(pending.id)[1].msg, of(pending.id)[1].status],
    ['approval requested again by the resumed step: the stored one stands', 'pending'],
  );
  await store.decide(pending.id, 'approved', { who: 'cli:alice', now: Date.now() });
  assert.equal((await again).outcome, 'approved');
  const decided = of(pending.id).filter((l) => l.msg === 'approval decided');
  assert.deepEqual(
    decided.map((l) => [l.outcome, l.decidedBy]),
    [['approved', 'cli:alice']],
  );
  assert.ok(!of(pending.id).some((l) => String(l.msg).startsWith('approval expired')), 'an approved action is not logged as expired');

  const rejectedIds = { runId: newUlid(), stepId: newUlid() };
  const rejecting = broker.request(pushAsk(rejectedIds));
  const toReject = await waitFor('the second approval', async () => (await store.list()).find((a) => a.stepId === rejectedIds.stepId));
  await store.decide(toReject.id, 'rejected', { who: 'cli:bob', now: Date.now() });
  assert.equal((await rejecting).outcome, 'rejected');
  assert.deepEqual(
    of(toReject.id)
      .filter((l) => l.msg === 'approval decided')
      .map((l) => [l.outcome, l.decidedBy]),
    [['rejected', 'cli:bob']],
  );

  const supersededIds = { runId: newUlid(), stepId: newUlid() };
  const old = broker.request(pushAsk({ ...supersededIds, remote: 'origin' }));
  const oldApproval = await waitFor('the first ask', async () => (await store.list()).find((a) => a.stepId === supersededIds.stepId));
  void broker.request(pushAsk({ ...supersededIds, remote: 'upstream' })).catch(() => {});
  assert.equal((await old).outcome, 'rejected');
  assert.ok(!of(oldApproval.id).some((l) => l.msg === 'approval decided'), 'a superseded approval was decided by nobody');
});

test('an expired approval is logged as a warning with its deadline', async (t) => {
  const { db, brokerOn } = await approvalsDatabase(t);
  let now = Date.parse('2027-03-01T10:00:00Z');
  const { log, lines } = capturedLogger();
  const broker = brokerOn({ environments: testEnvironments(60, 10), log, clock: () => now, pollMs: 10 });
  const answer = broker.request(pushAsk({ runId: newUlid(), stepId: newUlid() }));
  const pending = await waitFor('the pending approval', async () => (await createApprovalStore(db).list())[0]);
  now += 61_000;
  assert.equal((await answer).outcome, 'timeout');
  const expired = lines.filter((l) => String(l.msg).startsWith('approval expired'));
  assert.deepEqual(
    expired.map((l) => [l.level, l.approvalId, l.deadlineAt]),
    [[40, pending.id, pending.deadlineAt]],
  );
});

test('a decision that landed before the step listened (its notification lost) is seen by the read that follows, not after the poll interval', async (t) => {
  const { db, brokerOn } = await approvalsDatabase(t);
  // A decision committed without the NOTIFY this waiter could hear.
  const quiet = onFirstRead(db, (params) =>
    db.query("UPDATE approvals.requests SET status = 'approved', decided_by = 'cli:alice', decided_at = now() WHERE id = $1", params),
  );
  const broker = brokerOn({ environments: testEnvironments(), log: silentLogger(), pollMs: 60_000 }, quiet);
  const started = Date.now();
  const answer = await broker.request(pushAsk({ runId: newUlid(), stepId: newUlid() }));
  assert.equal(answer.outcome, 'approved');
  assert.ok(Date.now() - started < 5_000, 'answered by the read, not after the minute-long poll');
});

test('a waiting step reads its approval once per wake, not in a loop, and re-reads at its poll interval when no notification comes', async (t) => {
  const { db, brokerOn } = await approvalsDatabase(t);
  let reads = 0;
  const counted = hooked(db, async (sql) => {
    if (sql === READ_ONE) reads++;
  });
  const slow = brokerOn({ environments: testEnvironments(), log: silentLogger(), pollMs: 60_000 }, counted);
  void slow.request(pushAsk({ runId: newUlid(), stepId: newUlid() })).catch(() => {});
  await waitFor('the first read', () => reads > 0);
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(reads <= 2, `${reads} reads in 500 ms with a minute-long poll interval`);
  await slow.close();

  const { brokerOn: fastOn, db: fastDb } = await approvalsDatabase(t);
  const polling = fastOn({ environments: testEnvironments(), log: silentLogger(), pollMs: 50 });
  const answer = polling.request(pushAsk({ runId: newUlid(), stepId: newUlid() }));
  const pending = await waitFor('the pending approval', async () => (await createApprovalStore(fastDb).list())[0]);
  await new Promise((r) => setTimeout(r, 100));
  await fastDb.query("UPDATE approvals.requests SET status = 'rejected', decided_by = 'cli:bob', decided_at = now() WHERE id = $1", [
    pending.id,
  ]);
  const silentAt = Date.now();
  assert.equal((await answer).outcome, 'rejected');
  const after = Date.now() - silentAt;
  // Bounded loosely on purpose: a loaded CI machine must not fail it; without the poll it would never answer.
  assert.ok(after < 15_000, `a decision without notification answered after ${after} ms with a 50 ms poll interval`);
});

test('without a poll interval of its own a waiting step re-reads its approval about once a second, never in a loop', async (t) => {
  const { db, brokerOn } = await approvalsDatabase(t);
  let reads = 0;
  const counted = hooked(db, async (sql) => {
    if (sql === READ_ONE) reads++;
  });
  const broker = brokerOn({ environments: testEnvironments(), log: silentLogger() }, counted);
  void broker.request(pushAsk({ runId: newUlid(), stepId: newUlid() })).catch(() => {});
  await waitFor('the first read', () => reads > 0);
  const first = reads;
  await new Promise((r) => setTimeout(r, 2500));
  // A second's interval gives 2 or 3 re-reads here; a loaded machine may give fewer, a loop gives hundreds.
  assert.ok(reads - first <= 4, `${reads - first} re-reads in 2.5 s with the default poll interval`);
  assert.ok(reads - first >= 1, 'the default interval re-reads at all when no notification comes');
  await broker.close();
});

test('an approval gone while its step waits, or a read that fails, is a retryable failure of the wait carrying why — never an answer', async (t) => {
  const { db, brokerOn } = await approvalsDatabase(t);
  const vanishing = onFirstRead(db, (params) => db.query('DELETE FROM approvals.requests WHERE id = $1', params));
  await assert.rejects(
    brokerOn({ environments: testEnvironments(), log: silentLogger(), pollMs: 60_000 }, vanishing).request(
      pushAsk({ runId: newUlid(), stepId: newUlid() }),
    ),
    (err: RetryableError) => {
      assert.deepEqual(
        [err.code, err.retryable, (err.cause as Error).message],
        ['approvals_unavailable', true, 'the approval disappeared'],
      );
      return true;
    },
  );

  const lost = Object.assign(new Error('Connection terminated unexpectedly'), { code: '57P01' });
  let failOnRead = true;
  const failing = hooked(db, async (sql) => {
    if (sql !== READ_ONE || !failOnRead) return;
    failOnRead = false;
    throw lost;
  });
  await assert.rejects(
    brokerOn({ environments: testEnvironments(), log: silentLogger(), pollMs: 60_000 }, failing).request(
      pushAsk({ runId: newUlid(), stepId: newUlid() }),
    ),
    (err: RetryableError) => {
      assert.deepEqual([err.code, err.retryable, err.cause], ['approvals_unavailable', true, lost]);
      return true;
    },
  );
});

test('closing what a run still has pending answers its waiting step rejected with the reason and logs how many were closed; nothing to close logs nothing', async (t) => {
  const { db, brokerOn } = await approvalsDatabase(t);
  const store = createApprovalStore(db);
  const { log, lines } = capturedLogger();
  const broker = brokerOn({ environments: testEnvironments(), log, pollMs: 60_000 });
  const ids = { runId: newUlid(), stepId: newUlid() };
  const answer = broker.request(pushAsk(ids));
  const pending = await waitFor('the pending approval', async () => (await store.list())[0]);
  await broker.closeFor!({ runId: ids.runId }, 'the run was dead-lettered');
  assert.deepEqual(await answer, { outcome: 'rejected', note: 'closed: the run was dead-lettered' });
  assert.equal((await store.get(pending.id))!.status, 'closed');
  const closedLines = () => lines.filter((l) => l.msg === 'closed approvals nobody needs to decide any more');
  assert.deepEqual(
    closedLines().map((l) => [l.workflowId, l.closed, l.reason]),
    [[ids.runId, 1, 'the run was dead-lettered']],
  );
  await broker.closeFor!({ runId: ids.runId }, 'again');
  assert.equal(closedLines().length, 1, 'closing nothing is not logged');
});
