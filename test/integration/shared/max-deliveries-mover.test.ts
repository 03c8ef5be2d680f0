// The max-deliveries mover on one private nats-server, fed advisories written as the server writes them:
// the exhausted original is handed to onExhausted, copied to its source's DLQ subject with the reason and
// origin in headers, and removed from its source — in that order, so a failure keeps it for a later try.
// An advisory that is not one, or names a stream the mover does not move, is refused (kept in a DLQ);
// a message already gone counts as moved. test/integration/runner/exhausted.test.ts does the same with a
// real consumer exhausting its deliveries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JsMsg, StoredMsg } from '@nats-io/jetstream';
import { PermanentError } from '../../../shared/worker-errors.ts';
import { silentLogger } from '../../../shared/log.ts';
import {
  createMaxDeliveriesHandler,
  maxDeliveriesSubject,
  type MaxDeliveriesAdvisory,
  type MoverOptions,
  startMaxDeliveriesMover,
} from '../../../shared/max-deliveries-mover.ts';
import { capturedLogger } from '../../support/approvals.ts';
import { rejection } from '../../support/jetstream.ts';
import { fileJetStream, workerRig } from '../../support/worker-rig.ts';

const nc = await fileJetStream();

async function rig(t: Parameters<typeof workerRig>[0], o: Partial<MoverOptions> = {}) {
  const r = await workerRig(t, nc);
  const ADV = `${r.SOURCE}_ADV`;
  const ADV_SUBJECT = `${r.p}.adv`;
  const moverOptions = (over: Partial<MoverOptions>): MoverOptions => ({
    nc,
    log: silentLogger(),
    advisoryStream: 'unused',
    durable: 'unused',
    sources: { [r.SOURCE]: `${r.p}.dlq.work` },
    badAdvisorySubject: (reason) => `${r.p}.dlq.bad.${reason}`,
    ...over,
  });
  const handle = createMaxDeliveriesHandler(moverOptions(o));
  const advisory = (a: Partial<MaxDeliveriesAdvisory> & { stream_seq: number }) =>
    ({ string: () => JSON.stringify({ stream: r.SOURCE, consumer: 'runner', deliveries: 4, ...a }) }) as unknown as JsMsg;
  /** This test's own advisory stream (`ADV` on `ADV_SUBJECT`), for a mover to consume: advisories are published to it by hand. */
  const addAdvisoryStream = async () => {
    await r.jsm.streams.add({ name: ADV, subjects: [ADV_SUBJECT] });
    t.after(() => r.jsm.streams.delete(ADV));
  };
  /** A real mover (durable `mover`) on the advisory stream, stopped when the test ends. */
  const startMover = async (over: Partial<MoverOptions> = {}) => {
    const mover = await startMaxDeliveriesMover(moverOptions({ advisoryStream: ADV, durable: 'mover', ...over }));
    t.after(() => mover.stop());
    return mover;
  };
  return { ...r, handle, advisory, ADV, ADV_SUBJECT, addAdvisoryStream, startMover };
}

test('the advisory subject of a stream is the server’s MAX_DELIVERIES advisory for any of its consumers', () => {
  assert.equal(maxDeliveriesSubject('AP_UP'), '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.AP_UP.*');
});

test('an exhausted message is handed to onExhausted, copied to its DLQ subject with reason and origin, then removed from its source', async (t) => {
  const seen: Array<[string, MaxDeliveriesAdvisory]> = [];
  const { log, lines } = capturedLogger();
  const r = await rig(t, {
    log,
    onExhausted: async (original: StoredMsg, adv) => {
      assert.equal((await r.messages(r.DLQ)).length, 0, 'before the copy');
      seen.push([original.string(), adv]);
    },
  });
  const seq = await r.publish('the work');
  const other = await r.publish('other work');
  await r.handle(r.advisory({ stream_seq: seq }));
  assert.deepEqual(seen, [['the work', { stream: r.SOURCE, consumer: 'runner', stream_seq: seq, deliveries: 4 }]]);
  const dead = await r.messages(r.DLQ);
  assert.deepEqual(
    dead.map((m) => [m.subject, m.string()]),
    [[`${r.p}.dlq.work`, 'the work']],
  );
  assert.deepEqual(
    ['Ap-Dlq-Reason', 'Ap-Dlq-Stream', 'Ap-Dlq-Stream-Seq', 'Ap-Dlq-Subject', 'Ap-Dlq-Consumer', 'Ap-Dlq-Deliveries', 'Nats-Msg-Id'].map(
      (k) => dead[0].header.get(k),
    ),
    ['max_deliveries', r.SOURCE, String(seq), r.SOURCE_SUBJECT, 'runner', '4', `dlq:${r.SOURCE}:${seq}`],
  );
  assert.deepEqual(
    (await r.messages(r.SOURCE)).map((m) => m.seq),
    [other],
    'only the exhausted message left its source',
  );
  const moved = lines.filter((l) => l.msg === 'exhausted message moved to the DLQ');
  assert.deepEqual(
    moved.map((l) => [l.level, l.stream, l.seq, l.consumer, l.deliveries]),
    [[40, r.SOURCE, seq, 'runner', 4]],
  );
});

test('with no onExhausted hook the exhausted message is still moved', async (t) => {
  const r = await rig(t);
  const seq = await r.publish('the work');
  await r.handle(r.advisory({ stream_seq: seq }));
  assert.equal((await r.messages(r.DLQ)).length, 1);
  assert.equal((await r.messages(r.SOURCE)).length, 0);
});

test('when onExhausted fails the advisory fails too, and the message is neither copied nor removed', async (t) => {
  const r = await rig(t, {
    onExhausted: async () => {
      throw new Error('ledger down');
    },
  });
  const seq = await r.publish('the work');
  const err = await rejection(r.handle(r.advisory({ stream_seq: seq })));
  assert.equal((err as Error).message, 'ledger down');
  assert.equal((await r.messages(r.DLQ)).length, 0);
  assert.equal((await r.messages(r.SOURCE)).length, 1);
});

test('an advisory for a message already gone from its source is done: nothing is copied and onExhausted is not called', async (t) => {
  const calls: unknown[] = [];
  const { log, lines } = capturedLogger();
  const r = await rig(t, { log, onExhausted: async (m) => void calls.push(m) });
  const seq = await r.publish('the work');
  await r.jsm.streams.deleteMessage(r.SOURCE, seq);
  await r.handle(r.advisory({ stream_seq: seq }));
  assert.deepEqual(calls, []);
  assert.equal((await r.messages(r.DLQ)).length, 0);
  assert.deepEqual(
    lines.filter((l) => l.msg === 'exhausted message no longer in its stream; nothing to move').map((l) => [l.level, l.stream, l.seq]),
    [[30, r.SOURCE, seq]],
  );
});

test('an advisory for a stream the mover does not move is refused as unknown_source, and nothing is touched', async (t) => {
  const r = await rig(t);
  const seq = await r.publish('the work');
  const err = await rejection(r.handle(r.advisory({ stream: 'SOMEONE_ELSES', stream_seq: seq })));
  assert.ok(err instanceof PermanentError);
  assert.equal(err.code, 'unknown_source');
  assert.equal((await r.messages(r.SOURCE)).length, 1);
});

test('what is not a max-deliveries advisory is refused as bad_advisory', async (t) => {
  const r = await rig(t);
  const seq = await r.publish('the work');
  const bodies = [
    'not json',
    '"a string"',
    JSON.stringify({ stream: r.SOURCE, stream_seq: seq, deliveries: 1 }), // no consumer
    JSON.stringify({ stream: r.SOURCE, consumer: 'c', stream_seq: 0, deliveries: 1 }),
    JSON.stringify({ stream: r.SOURCE, consumer: 'c', stream_seq: 1.5, deliveries: 1 }),
    JSON.stringify({ stream: r.SOURCE, consumer: 'c', stream_seq: seq, deliveries: -1 }),
  ];
  for (const body of bodies) {
    const err = await rejection(r.handle({ string: () => body } as unknown as JsMsg));
    assert.ok(err instanceof PermanentError, body);
    assert.equal(err.code, 'bad_advisory', body);
  }
  assert.equal((await r.messages(r.SOURCE)).length, 1, 'nothing moved');
});

test('the mover’s consumer never gives up on an advisory, and keeps a bad one in the DLQ under its reason', async (t) => {
  const r = await rig(t);
  await r.addAdvisoryStream();
  const bad = (await r.js.publish(r.ADV_SUBJECT, 'not an advisory')).seq;
  await r.startMover();
  const { config } = await r.jsm.consumers.info(r.ADV, 'mover');
  assert.equal(config.max_deliver, -1);
  assert.equal(config.ack_wait, 30_000 * 1_000_000);
  const [kept] = await r.until('the bad advisory in the DLQ', async () => {
    const m = await r.messages(r.DLQ);
    return m.length ? m : undefined;
  });
  assert.equal(kept.subject, `${r.p}.dlq.bad.bad_advisory`);
  assert.equal(kept.string(), 'not an advisory');
  assert.deepEqual(
    ['Ap-Dlq-Reason', 'Ap-Dlq-Stream', 'Ap-Dlq-Stream-Seq', 'Nats-Msg-Id'].map((k) => kept.header.get(k)),
    ['bad_advisory', r.ADV, String(bad), `dlq:${r.ADV}:${bad}`],
  );
});

test('an advisory the mover cannot handle yet is tried again until the move succeeds', async (t) => {
  const r = await rig(t);
  await r.addAdvisoryStream();
  const seq = await r.publish('the work');
  let tries = 0;
  await r.startMover({
    onExhausted: async () => {
      tries += 1;
      if (tries < 3) throw new Error('ledger down');
    },
  });
  await r.js.publish(r.ADV_SUBJECT, JSON.stringify({ stream: r.SOURCE, consumer: 'runner', stream_seq: seq, deliveries: 4 }));
  const dead = await r.until('the work in the DLQ', async () => {
    const m = await r.messages(r.DLQ);
    return m.length ? m : undefined;
  });
  assert.equal(tries, 3);
  assert.deepEqual(
    dead.map((m) => [m.subject, m.string()]),
    [[`${r.p}.dlq.work`, 'the work']],
  );
});
