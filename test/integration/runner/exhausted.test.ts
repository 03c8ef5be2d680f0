import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Dispatch } from '../../../shared/dispatch.ts';
import { silentLogger } from '../../../shared/log.ts';
import { maxDeliveriesSubject } from '../../../shared/max-deliveries-mover.ts';
import { localJetStream } from '../../support/jetstream.ts';
import { ADVISORY_STREAM, ensureAdvisoryStream, startExhaustedMover } from '../../../customer-plane/runner/exhausted.ts';
import { ensureWorkQueue, WORK_DLQ_SUBJECT, WORK_STREAM, WORK_SUBJECT } from '../../../customer-plane/runner/work-queue.ts';
import { ledgerDatabase, openedRun } from '../../support/ledger.ts';

/**
 * A runner that takes the work and dies without acking, on its only delivery: JetStream gives up and
 * publishes the MAX_DELIVERIES advisory the mover listens for.
 */
async function exhaust(nc: NatsConnection, data: Uint8Array): Promise<void> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await js.publish(WORK_SUBJECT, data);
  await jsm.consumers.add(WORK_STREAM, {
    durable_name: 'dying-runner',
    ack_policy: AckPolicy.Explicit,
    max_deliver: 1,
    ack_wait: 300 * 1_000_000, // ns
  });
  const consumer = await js.consumers.get(WORK_STREAM, 'dying-runner');
  assert.ok(await consumer.next({ expires: 2000 }), 'the runner got the work');
  // A pull still waiting is what makes the server look for a redelivery and find none left.
  await consumer.next({ expires: 1500 });
  await jsm.consumers.delete(WORK_STREAM, 'dying-runner');
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The DLQ copies of the work queue, as subjects and bodies, and how many work messages are left. */
async function queues(nc: NatsConnection) {
  const jsm = await jetstreamManager(nc);
  const dlq = await jsm.streams.info('AP_WORK_DLQ');
  const dead: Array<{ subject: string; body: string }> = [];
  for (let seq = dlq.state.first_seq; seq <= dlq.state.last_seq && dlq.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage('AP_WORK_DLQ', { seq });
    if (m) dead.push({ subject: m.subject, body: m.string() });
  }
  const work = (await jsm.streams.info(WORK_STREAM)).state.messages;
  return { dead, work };
}

test('the advisory stream keeps max-deliveries advisories of the work queue on file, as a work queue', async (t) => {
  const nc = await localJetStream(t);
  await ensureAdvisoryStream(nc);
  const { config } = await (await jetstreamManager(nc)).streams.info(ADVISORY_STREAM);
  assert.deepEqual(config.subjects, [maxDeliveriesSubject(WORK_STREAM)]);
  assert.equal(config.storage, StorageType.File);
  assert.equal(config.retention, RetentionPolicy.Workqueue);
});

test('a run whose runner died on its last delivery, while no mover was up, ends failed with delivery_exhausted and its work moves to the dead-letter stream', async (t) => {
  const nc = await localJetStream(t);
  const { db } = await ledgerDatabase(t);
  const { ledger, d, runId, steps } = await openedRun(db);
  await ledger.startStep(steps[0].id, null); // the step the runner died in
  await ensureWorkQueue(nc);
  await ensureAdvisoryStream(nc);
  await exhaust(nc, new TextEncoder().encode(JSON.stringify(d)));

  const seen: Dispatch[] = [];
  const mover = await startExhaustedMover({
    nc,
    log: silentLogger(),
    // What the runner does with it (worker.ts): its steps are marked and the run ends with the code.
    async onExhausted(x) {
      seen.push(x);
      await ledger.abandonSteps(x.workflowId, 'delivery_exhausted');
      await ledger.finishRun(x.workflowId, 'failed', 'delivery_exhausted');
    },
  });
  t.after(() => mover.stop());

  const { dead, work } = await until('the work in the DLQ', async () => {
    const q = await queues(nc);
    return q.dead.length ? q : undefined;
  });
  assert.deepEqual(seen, [d], 'the runner is told which run, as dispatched');
  assert.equal(work, 0, 'the work is gone from the queue');
  assert.deepEqual(
    dead.map((m) => [m.subject, JSON.parse(m.body).workflowId]),
    [[WORK_DLQ_SUBJECT, runId]],
  );
  const ended = await ledger.getRun(runId);
  assert.deepEqual([ended!.run.status, ended!.run.errorCode], ['failed', 'delivery_exhausted']);
  assert.deepEqual(
    ended!.steps.map((s) => [s.stepKey, s.status]),
    [
      ['index', 'failed'],
      ['review', 'skipped'],
    ],
  );
});

test('exhausted work that is not a dispatch still reaches the dead-letter stream, without ending any run', async (t) => {
  const nc = await localJetStream(t);
  await ensureWorkQueue(nc);
  const seen: unknown[] = [];
  const mover = await startExhaustedMover({
    nc,
    log: silentLogger(),
    async onExhausted(x) {
      // The runner's handler reads the workflow id: handing it nothing would fail and keep the advisory forever.
      assert.ok(x, 'only called with a dispatch');
      seen.push(x);
    },
  });
  t.after(() => mover.stop());
  await exhaust(nc, new TextEncoder().encode('not a dispatch'));

  const { dead, work } = await until('the work in the DLQ', async () => {
    const q = await queues(nc);
    return q.dead.length ? q : undefined;
  });
  assert.deepEqual(seen, []);
  assert.equal(work, 0);
  assert.deepEqual(
    dead.map((m) => [m.subject, m.body]),
    [[WORK_DLQ_SUBJECT, 'not a dispatch']],
  );
});

test('an advisory that is not one is kept in the work dead-letter stream, not dropped', async (t) => {
  const nc = await localJetStream(t);
  await ensureWorkQueue(nc);
  const mover = await startExhaustedMover({ nc, log: silentLogger(), onExhausted: async () => assert.fail('no run to end') });
  t.after(() => mover.stop());
  await jetstream(nc).publish(maxDeliveriesSubject(WORK_STREAM).replace('*', 'runner'), new TextEncoder().encode('garbage'));

  const { dead } = await until('the advisory in the DLQ', async () => {
    const q = await queues(nc);
    return q.dead.length ? q : undefined;
  });
  assert.deepEqual(
    dead.map((m) => [m.subject, m.body]),
    [[WORK_DLQ_SUBJECT, 'garbage']],
  );
});

test('every runner on the leaf starts its mover: they share one consumer of the advisories', async (t) => {
  const nc = await localJetStream(t);
  await ensureWorkQueue(nc);
  const first = await startExhaustedMover({ nc, log: silentLogger(), onExhausted: async () => {} });
  t.after(() => first.stop());
  const second = await startExhaustedMover({ nc, log: silentLogger(), onExhausted: async () => {} });
  t.after(() => second.stop());
  const consumers = await (await jetstreamManager(nc)).consumers.list(ADVISORY_STREAM).next();
  assert.equal(consumers.length, 1);
});
