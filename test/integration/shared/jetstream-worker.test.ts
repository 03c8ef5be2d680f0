// The shared JetStream worker on a private nats-server: how each message ends. Handled → ack; not done
// yet → nak after the delay the handler asked for; a retryable failure with deliveries left → nak with
// backoff; a permanent failure, or any failure on the last delivery → dead-lettered, then term; a dead
// letter that fails → the message is kept (nak). Never a silent drop. Each ack, nak and term is recorded
// as the worker sends it (test/support/worker-rig.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { PermanentError, RetryableError } from '../../../shared/worker-errors.ts';
import { capturedLogger } from '../../support/approvals.ts';
import { fileJetStream, workerRig } from '../../support/worker-rig.ts';

const nc = await fileJetStream();

test('the consumer is durable with explicit acks, every message from the start, the delivery limit and the ack wait asked for', async (t) => {
  const r = await workerRig(t, nc);
  await r.start({ durable: 'cfg', maxDeliver: 7, ackWaitMs: 1234, concurrency: 20, filterSubject: `${r.p}.other`, handle: async () => {} });
  const { config } = await r.jsm.consumers.info(r.SOURCE, 'cfg');
  assert.equal(config.durable_name, 'cfg');
  assert.equal(config.ack_policy, AckPolicy.Explicit);
  assert.equal(config.deliver_policy, DeliverPolicy.All);
  assert.equal(config.max_deliver, 7);
  assert.equal(config.ack_wait, 1234 * 1_000_000);
  assert.equal(config.max_ack_pending, 80, 'four per handler slot');
  assert.equal(config.filter_subject, `${r.p}.other`);
});

test('at least 64 messages may await their ack, whatever the concurrency', async (t) => {
  const r = await workerRig(t, nc);
  await r.start({ durable: 'one', handle: async () => {} });
  await r.start({ durable: 'sixteen', concurrency: 16, handle: async () => {} });
  assert.equal((await r.jsm.consumers.info(r.SOURCE, 'one')).config.max_ack_pending, 64);
  assert.equal((await r.jsm.consumers.info(r.SOURCE, 'sixteen')).config.max_ack_pending, 64);
});

test('a handled message is acked once and never delivered again', async (t) => {
  const r = await workerRig(t, nc);
  const seq = await r.publish('a');
  await r.start({ handle: async () => {} });
  await r.until('the ack', () => r.settled.length === 1);
  const info = await r.until('nothing pending', async () => {
    const i = await r.jsm.consumers.info(r.SOURCE, 'w');
    return i.num_ack_pending === 0 && i.num_pending === 0 ? i : undefined;
  });
  assert.deepEqual(r.settled, [{ seq, delivery: 1, how: 'ack' }]);
  assert.equal(info.delivered.consumer_seq, 1);
  assert.deepEqual(r.deadLettered, []);
});

test('a message not done yet is naked with the delay its handler asked for, and handled on a later delivery', async (t) => {
  const r = await workerRig(t, nc);
  const seq = await r.publish('a');
  await r.start({
    maxDeliver: 3,
    handle: async (msg) => (msg.info.deliveryCount < 3 ? { retryInMs: 40 + msg.info.deliveryCount } : undefined),
  });
  await r.until('the ack', () => r.settled.some((s) => s.how === 'ack'));
  assert.deepEqual(r.settled, [
    { seq, delivery: 1, how: 'nak', arg: 41 },
    { seq, delivery: 2, how: 'nak', arg: 42 },
    { seq, delivery: 3, how: 'ack' },
  ]);
});

test('a message still not done on its last delivery is dead-lettered as not_completed, then terminated', async (t) => {
  const r = await workerRig(t, nc);
  const seq = await r.publish('a');
  await r.start({ maxDeliver: 2, handle: async () => ({ retryInMs: 30 }) });
  await r.until('the term', () => r.settled.some((s) => s.how === 'term'));
  assert.deepEqual(r.settled, [
    { seq, delivery: 1, how: 'nak', arg: 30 },
    { seq, delivery: 2, how: 'term', arg: r.termArg('not_completed') },
  ]);
  assert.deepEqual(
    r.deadLettered.map((d) => [d.seq, d.reason, d.error instanceof PermanentError, d.error.message]),
    [[seq, 'not_completed', true, 'message was not completed within its deliveries']],
  );
});

test('with no delivery limit (-1) a message not done yet is naked on every delivery, never dead-lettered', async (t) => {
  const r = await workerRig(t, nc);
  const seq = await r.publish('a');
  await r.start({ maxDeliver: -1, handle: async (msg) => (msg.info.deliveryCount <= 2 ? { retryInMs: 20 } : undefined) });
  await r.until('the ack', () => r.settled.some((s) => s.how === 'ack'));
  assert.deepEqual(
    r.settled.map((s) => [s.seq, s.delivery, s.how]),
    [
      [seq, 1, 'nak'],
      [seq, 2, 'nak'],
      [seq, 3, 'ack'],
    ],
  );
  assert.deepEqual(r.deadLettered, []);
});

test('a permanent failure is dead-lettered at once with its code as the reason, then terminated', async (t) => {
  const r = await workerRig(t, nc);
  const seq = await r.publish('a');
  const thrown = new PermanentError('bad_thing', 'nope');
  await r.start({ maxDeliver: 5, handle: async () => Promise.reject(thrown) });
  await r.until('the term', () => r.settled.length === 1);
  assert.deepEqual(r.settled, [{ seq, delivery: 1, how: 'term', arg: r.termArg('bad_thing') }]);
  assert.equal(r.deadLettered.length, 1);
  assert.equal(r.deadLettered[0].reason, 'bad_thing');
  assert.equal(r.deadLettered[0].error, thrown);
});

test('a retryable failure with deliveries left is naked with exponential backoff (equal jitter: half the step at least)', async (t) => {
  const r = await workerRig(t, nc);
  const seq = await r.publish('a');
  await r.start({
    maxDeliver: 4,
    random: () => 0,
    handle: async (msg) => {
      if (msg.info.deliveryCount < 3) throw new RetryableError('store_failed', 'later');
    },
  });
  await r.until('the ack', () => r.settled.some((s) => s.how === 'ack'));
  assert.deepEqual(r.settled, [
    { seq, delivery: 1, how: 'nak', arg: 125 },
    { seq, delivery: 2, how: 'nak', arg: 250 },
    { seq, delivery: 3, how: 'ack' },
  ]);
  assert.deepEqual(r.deadLettered, []);
});

test('an unknown error is retried like a retryable one: a bug does not lose the message', async (t) => {
  const r = await workerRig(t, nc);
  const seq = await r.publish('a');
  await r.start({
    maxDeliver: 3,
    random: () => 1,
    handle: async (msg) => {
      if (msg.info.deliveryCount === 1) throw new TypeError('bug');
    },
  });
  await r.until('the ack', () => r.settled.some((s) => s.how === 'ack'));
  assert.deepEqual(r.settled, [
    { seq, delivery: 1, how: 'nak', arg: 250 },
    { seq, delivery: 2, how: 'ack' },
  ]);
});

test('a retryable failure on the last delivery is dead-lettered as max_deliveries and terminated with its own code', async (t) => {
  const r = await workerRig(t, nc);
  const seq = await r.publish('a');
  await r.start({ maxDeliver: 2, random: () => 0, handle: async () => Promise.reject(new RetryableError('store_failed', 'down')) });
  await r.until('the term', () => r.settled.some((s) => s.how === 'term'));
  assert.deepEqual(r.settled, [
    { seq, delivery: 1, how: 'nak', arg: 125 },
    { seq, delivery: 2, how: 'term', arg: r.termArg('store_failed') },
  ]);
  assert.deepEqual(
    r.deadLettered.map((d) => [d.reason, d.error.message]),
    [['max_deliveries', 'down']],
  );
});

test('a dead-lettered message is terminated on the server: it is not delivered again after the ack wait', async (t) => {
  const r = await workerRig(t, nc);
  const seq = await r.publish('a');
  await r.start({ maxDeliver: 5, ackWaitMs: 300, handle: async () => Promise.reject(new PermanentError('bad_thing', 'nope')) });
  await r.until('the term', () => r.settled.length === 1);
  // Three ack waits: a term the server ignored would have brought the message back by now.
  await new Promise((res) => setTimeout(res, 900));
  assert.deepEqual(r.settled, [{ seq, delivery: 1, how: 'term', arg: r.termArg('bad_thing') }]);
  const info = await r.jsm.consumers.info(r.SOURCE, 'w');
  assert.deepEqual([info.num_ack_pending, info.num_redelivered], [0, 0]);
});

test('a handler that throws something that is not an Error has it wrapped, with the reason handler_error', async (t) => {
  const r = await workerRig(t, nc);
  await r.publish('a');
  await r.start({ maxDeliver: 1, handle: async () => Promise.reject('a string') });
  await r.until('the term', () => r.settled.length === 1);
  assert.deepEqual(
    r.settled.map((s) => [s.how, s.arg]),
    [['term', r.termArg('handler_error')]],
  );
  const [d] = r.deadLettered;
  assert.ok(d.error instanceof Error);
  assert.equal(d.error.message, 'handler threw a non-error');
  assert.equal(d.error.cause, 'a string');
  assert.equal(d.reason, 'max_deliveries');
});

test('a dead letter that fails keeps the message (nak with backoff, no term) and logs the failure', async (t) => {
  const r = await workerRig(t, nc);
  const seq = await r.publish('a');
  const { log, lines } = capturedLogger();
  let tries = 0;
  await r.start({
    maxDeliver: 5,
    log,
    random: () => 0,
    handle: async () => Promise.reject(new PermanentError('bad_thing', 'nope')),
    deadLetter: async () => {
      tries += 1;
      if (tries === 1) throw new Error('dlq down');
    },
  });
  await r.until('the term', () => r.settled.some((s) => s.how === 'term'));
  assert.deepEqual(r.settled, [
    { seq, delivery: 1, how: 'nak', arg: 125 },
    { seq, delivery: 2, how: 'term', arg: r.termArg('bad_thing') },
  ]);
  const failed = lines.filter((l) => l.msg === 'dead-letter failed; message kept');
  assert.equal(failed.length, 1);
  assert.equal(failed[0].level, 50, 'error');
  assert.equal(failed[0].stream, r.SOURCE);
  const dead = lines.filter((l) => l.msg === 'message dead-lettered');
  assert.deepEqual(
    dead.map((l) => [l.level, l.stream, l.reason, l.seq]),
    [[40, r.SOURCE, 'bad_thing', seq]],
  );
});

test('a busy worker fetches twice its concurrency (at least 8) ahead, not the whole queue: the rest stay on the stream for other workers', async (t) => {
  for (const [concurrency, least, most] of [
    [1, 8, 8],
    [16, 32, 48],
  ]) {
    const r = await workerRig(t, nc);
    for (let i = 0; i < 60; i++) await r.publish(`m${i}`);
    let release!: () => void;
    const busy = new Promise<void>((res) => {
      release = res;
    });
    t.after(() => release());
    await r.start({ concurrency, ackWaitMs: 30_000, handle: () => busy });
    await r.until('every slot busy', () => r.handled === concurrency);
    await new Promise((res) => setTimeout(res, 300));
    const info = await r.jsm.consumers.info(r.SOURCE, 'w');
    // Each fetched message's ack wait runs while it waits here: a worker that fetched everything would
    // see its queue redelivered elsewhere before it got to it.
    assert.ok(
      info.num_ack_pending >= least && info.num_ack_pending <= most,
      `concurrency ${concurrency}: ${info.num_ack_pending} fetched, expected ${least}..${most}`,
    );
    assert.equal(info.num_pending, 60 - info.num_ack_pending);
  }
});

test('a stopping worker starts nothing it had fetched but not begun: it gives those back, and the next worker handles them', async (t) => {
  const r = await workerRig(t, nc);
  const seqs = [await r.publish('a'), await r.publish('b'), await r.publish('c')];
  let release!: () => void;
  const busy = new Promise<void>((res) => {
    release = res;
  });
  const first = await r.start({ ackWaitMs: 2_000, handle: () => busy });
  await r.until('the first message in hand', () => r.settled.length === 0 && r.handled === 1);
  const stopping = first.stop();
  release();
  await stopping;
  assert.deepEqual(
    r.settled.map((s) => [s.seq, s.how]),
    [[seqs[0], 'ack']],
    'only the message in hand was handled; the fetched ones were not started',
  );
  // Given back (nak); one still on its way to the closed subscription comes back after the ack wait.
  await r.start({ ackWaitMs: 2_000, handle: async () => {} });
  await r.until('the other two handled by the next worker', () => seqs.slice(1).every((seq) => r.settled.some((s) => s.seq === seq)));
});
