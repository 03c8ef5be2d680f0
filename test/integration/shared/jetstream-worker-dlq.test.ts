// The shared JetStream worker's dead-letter publisher and its pacing, on one private nats-server: a
// dead-lettered message is copied to the DLQ with its origin and reason in headers, stored once however
// often it is sent, and (for limits streams) removed from its source; the worker handles at most
// `concurrency` messages at once, stop waits for the ones under way, and a dependency that is down
// does not write a log line per message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dlqHeaders, dlqMsgId, dlqPublisher } from '../../../shared/jetstream-worker.ts';
import { PermanentError, RetryableError } from '../../../shared/worker-errors.ts';
import { capturedLogger } from '../../support/approvals.ts';
import { fileJetStream, workerRig } from '../../support/worker-rig.ts';

const nc = await fileJetStream();

test('a DLQ entry’s headers name its reason, origin stream, sequence, subject, consumer and deliveries, and dedupe on stream:seq', () => {
  const h = dlqHeaders({
    reason: 'bad_thing',
    stream: 'AP_UP',
    streamSeq: 42,
    subject: 'ap.up.t.usage',
    consumer: 'ingest',
    deliveries: 3,
  });
  assert.deepEqual(
    [...h.keys()].sort().map((k) => [k, h.get(k)]),
    [
      ['Ap-Dlq-Consumer', 'ingest'],
      ['Ap-Dlq-Deliveries', '3'],
      ['Ap-Dlq-Reason', 'bad_thing'],
      ['Ap-Dlq-Stream', 'AP_UP'],
      ['Ap-Dlq-Stream-Seq', '42'],
      ['Ap-Dlq-Subject', 'ap.up.t.usage'],
      ['Nats-Msg-Id', 'dlq:AP_UP:42'],
    ],
  );
  assert.equal(dlqMsgId('AP_DISPATCH', 7), 'dlq:AP_DISPATCH:7');
});

test('a DLQ entry leaves out the origin fields it was not given', () => {
  const h = dlqHeaders({ reason: 'r', stream: 'S', streamSeq: 1 });
  assert.deepEqual([...h.keys()].sort(), ['Ap-Dlq-Reason', 'Ap-Dlq-Stream', 'Ap-Dlq-Stream-Seq', 'Nats-Msg-Id']);
  const zero = dlqHeaders({ reason: 'r', stream: 'S', streamSeq: 1, subject: '', deliveries: 0 });
  assert.equal(zero.get('Ap-Dlq-Deliveries'), '0', 'zero deliveries is a value');
  assert.equal(zero.has('Ap-Dlq-Subject'), true);
});

test('a permanently failing message is moved to the DLQ subject of its reason, with its origin, and removed from its source', async (t) => {
  const r = await workerRig(t, nc);
  const seq = await r.publish('payload-1');
  const keep = await r.publish('payload-2');
  await r.start({
    handle: async (msg) => {
      if (msg.string() === 'payload-1') throw new PermanentError('bad_thing', 'no');
    },
    deadLetter: dlqPublisher(nc, (reason) => `${r.p}.dlq.${reason}`, { removeFromSource: true }),
  });
  await r.until('the term', () => r.settled.some((s) => s.how === 'term'));
  const [dead] = await r.until('the DLQ entry', async () => {
    const m = await r.messages(r.DLQ);
    return m.length ? m : undefined;
  });
  assert.equal(dead.subject, `${r.p}.dlq.bad_thing`);
  assert.equal(dead.string(), 'payload-1');
  assert.deepEqual(
    ['Ap-Dlq-Reason', 'Ap-Dlq-Stream', 'Ap-Dlq-Stream-Seq', 'Ap-Dlq-Subject', 'Ap-Dlq-Deliveries', 'Nats-Msg-Id'].map((k) =>
      dead.header.get(k),
    ),
    ['bad_thing', r.SOURCE, String(seq), r.SOURCE_SUBJECT, '1', `dlq:${r.SOURCE}:${seq}`],
  );
  await r.until('the handled one acked', () => r.settled.some((s) => s.how === 'ack'));
  assert.deepEqual(
    (await r.messages(r.SOURCE)).map((m) => m.seq),
    [keep],
    'the dead-lettered message is gone from its source; the acked one stays (limits retention)',
  );
});

test('without removeFromSource the original stays in its stream; the same message dead-lettered twice is stored once', async (t) => {
  const r = await workerRig(t, nc);
  const seq = await r.publish('payload');
  const publish = dlqPublisher(nc, (reason) => `${r.p}.dlq.${reason}`);
  await r.start({ handle: async () => Promise.reject(new PermanentError('bad_thing', 'no')), deadLetter: publish });
  await r.until('the term', () => r.settled.some((s) => s.how === 'term'));
  const sourceMsg = await r.jsm.streams.getMessage(r.SOURCE, { seq });
  assert.ok(sourceMsg, 'the original is still in its stream');
  // The advisory path (max-deliveries mover) may copy the same message again: the DLQ keeps one.
  const fake = { seq, subject: r.SOURCE_SUBJECT, data: sourceMsg.data, info: { stream: r.SOURCE, deliveryCount: 2 } };
  await publish(fake as never, 'bad_thing', new Error('x'));
  assert.equal((await r.messages(r.DLQ)).length, 1);
});

test('at most `concurrency` messages are handled at once, and a finished one frees its slot for the next', async (t) => {
  const r = await workerRig(t, nc);
  for (let i = 0; i < 7; i++) await r.publish(String(i));
  let active = 0;
  let most = 0;
  const started: string[] = [];
  const releases: Array<() => void> = [];
  await r.start({
    concurrency: 2,
    handle: async (msg) => {
      started.push(msg.string());
      active += 1;
      most = Math.max(most, active);
      // The first two finish at once; the rest wait to be released, holding their slots.
      if (Number(msg.string()) >= 2) await new Promise<void>((resolve) => releases.push(resolve));
      active -= 1;
    },
  });
  await r.until('two waiting', () => releases.length === 2);
  // A worker that ignored its limit (or never freed a slot) would start more within this window.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(started, ['0', '1', '2', '3']);
  assert.equal(most, 2);
  for (let done = 0; done < 5; done++) {
    await r.until('the next waiting', () => releases.length > done);
    releases[done]();
  }
  await r.until('all acked', () => r.settled.filter((s) => s.how === 'ack').length === 7);
  assert.equal(most, 2);
});

test('without a concurrency the worker handles one message at a time', async (t) => {
  const r = await workerRig(t, nc);
  for (let i = 0; i < 3; i++) await r.publish(String(i));
  let active = 0;
  let most = 0;
  await r.start({
    handle: async () => {
      active += 1;
      most = Math.max(most, active);
      await new Promise((resolve) => setTimeout(resolve, 30));
      active -= 1;
    },
  });
  await r.until('all acked', () => r.settled.filter((s) => s.how === 'ack').length === 3);
  assert.equal(most, 1);
});

test('stop waits for the messages under way, which are settled before it returns', async (t) => {
  const r = await workerRig(t, nc);
  const seq = await r.publish('a');
  let release: (() => void) | undefined;
  const w = await r.start({ handle: () => new Promise<void>((resolve) => (release = resolve)) });
  const handling = await r.until('the handler running', () => release);
  let stopped = false;
  const stopping = w.stop().then(() => {
    stopped = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(stopped, false, 'stop waits for the handler');
  handling();
  await stopping;
  assert.deepEqual(r.settled, [{ seq, delivery: 1, how: 'ack' }]);
});

test('while a dependency is down, "will be retried" is logged once per reason per 30 s, then with the count left out', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const r = await workerRig(t, nc);
  const { log, lines } = capturedLogger();
  const cause = new Error('postgres down');
  await r.start({
    maxDeliver: 10,
    random: () => 0,
    log,
    handle: async (msg) => {
      if (msg.info.deliveryCount === 1) throw new RetryableError('store_failed', 'could not store', { cause });
    },
  });
  // Four messages fail in turn: two at once, one 29.999 s after the first line, one 30 s after it.
  for (const [body, advanceMs] of [
    ['a', 0],
    ['b', 0],
    ['c', 29_999],
    ['d', 1],
  ] as const) {
    t.mock.timers.tick(advanceMs);
    const seq = await r.publish(body);
    await r.until(`${body} naked`, () => r.settled.some((s) => s.seq === seq && s.how === 'nak'));
  }
  const retried = lines.filter((l) => l.msg === 'message will be retried');
  assert.deepEqual(
    retried.map((l) => [l.level, l.stream, l.reason, l.delivery, l.delayMs, l.retriesNotLogged, (l.err as { message: string }).message]),
    [
      [40, r.SOURCE, 'store_failed', 1, 125, 0, 'postgres down'],
      [40, r.SOURCE, 'store_failed', 1, 125, 2, 'postgres down'],
    ],
    JSON.stringify(retried.map((l) => [l.time, l.retriesNotLogged])),
  );
});
