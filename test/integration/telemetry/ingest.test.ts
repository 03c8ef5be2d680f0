// The hub's ingest consumer on a private nats-server with the hub's streams, with the verifier and the
// store replaced: a batch is acked only after it is stored, so a consumer killed mid-batch has it
// redelivered and the store's (kid, seq) claim makes the redelivery a duplicate. A store that fails is
// retried; a batch that fails verification, or a store refusal that is permanent, goes to the DLQ at
// once under its reason and leaves AP_UP. test/integration/boundary/consumer-crash.test.ts kills a real
// consumer process; test/integration/telemetry/store-batch.test.ts proves the claim.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { ensureHubStreams, STREAMS } from '../../../control-plane/hub/streams.ts';
import { createHandlers, type IngestDeps, startIngest } from '../../../control-plane/telemetry/ingest.ts';
import { BatchRejected, type VerifiedBatch } from '../../../control-plane/telemetry/verify-batch.ts';
import { silentLogger } from '../../../shared/log.ts';
import { PermanentError, RetryableError } from '../../../shared/worker-errors.ts';
import { capturedLogger } from '../../support/approvals.ts';
import { localJetStream, rejection, until } from '../../support/jetstream.ts';

const nc = await localJetStream({ after });
const jsm = await ensureHubStreams(nc);

const batch = (seq: number): VerifiedBatch =>
  ({ tenant: 't1', kind: 'usage', kid: 'k1', seq, iat: 1, digest: 'd', events: [{}, {}] }) as VerifiedBatch;
const msg = (seq: number) => ({ subject: 'ap.up.t1.usage', data: new TextEncoder().encode(String(seq)), seq: 100 + seq }) as never;

function deps(store: IngestDeps['store'], over: Partial<IngestDeps> = {}) {
  const stored: VerifiedBatch[] = [];
  const verified: Array<[string, string]> = [];
  const d: IngestDeps = {
    verify: async (subject, data) => {
      verified.push([subject, new TextDecoder().decode(data)]);
      return batch(Number(new TextDecoder().decode(data)));
    },
    store,
    log: silentLogger(),
    onStored: (b) => void stored.push(b),
    ...over,
  };
  return { d, stored, verified };
}

test('a batch is verified from its subject and bytes, stored under its stream sequence, and reported stored once', async () => {
  const calls: Array<[number, number]> = [];
  const { d, stored, verified } = deps(async (b, streamSeq) => {
    calls.push([b.seq, streamSeq]);
    return 'stored';
  });
  const { log, lines } = capturedLogger();
  await createHandlers({ ...d, log }).handleUpBatch(msg(7));
  assert.deepEqual(verified, [['ap.up.t1.usage', '7']]);
  assert.deepEqual(calls, [[7, 107]]);
  assert.deepEqual(
    stored.map((b) => b.seq),
    [7],
  );
  const line = lines.find((l) => l.msg === 'up batch ingested');
  assert.deepEqual([line?.level, line?.tenant, line?.kind, line?.seq, line?.events, line?.outcome], [20, 't1', 'usage', 7, 2, 'stored']);
});

test('a duplicate (a redelivery of a batch already stored) is not reported stored again', async () => {
  const { d, stored } = deps(async () => 'duplicate');
  await createHandlers(d).handleUpBatch(msg(7));
  assert.deepEqual(stored, []);
});

test('with no onStored listener a stored batch is simply ingested', async () => {
  const { d } = deps(async () => 'stored', { onStored: undefined });
  await createHandlers(d).handleUpBatch(msg(7));
});

test('a store failure is retryable (store_failed) with its cause; a permanent store refusal stays permanent', async () => {
  const down = new Error('connection refused');
  const err = await rejection(createHandlers(deps(async () => Promise.reject(down)).d).handleUpBatch(msg(1)));
  assert.ok(err instanceof RetryableError);
  assert.equal(err.code, 'store_failed');
  assert.equal(err.cause, down);
  const replay = new BatchRejected('replayed_seq', 'seq already used');
  assert.equal(await rejection(createHandlers(deps(async () => Promise.reject(replay)).d).handleUpBatch(msg(1))), replay);
});

test('a batch that fails verification is refused as it was, and nothing is stored', async () => {
  const bad = new BatchRejected('bad_signature', 'no');
  let stores = 0;
  const { d } = deps(
    async () => {
      stores += 1;
      return 'stored';
    },
    { verify: async () => Promise.reject(bad) },
  );
  assert.equal(await rejection(createHandlers(d).handleUpBatch(msg(1))), bad);
  assert.equal(stores, 0);
});

test('the ingest consumer: 25 deliveries, a 10 s ack wait; a store that fails once is retried and the batch stored once; a rejected batch moves to the DLQ and leaves AP_UP', async (t) => {
  const js = jetstream(nc);
  let failures = 1;
  const storedSeqs: number[] = [];
  const { d, stored } = deps(async (b) => {
    if (b.seq === 1 && failures-- > 0) throw new Error('postgres down');
    if (b.seq === 2) throw new PermanentError('replayed_seq', 'seq already used');
    storedSeqs.push(b.seq);
    return 'stored';
  });
  const ingest = await startIngest({ ...d, nc });
  t.after(() => ingest.stop());
  const { config } = await jsm.consumers.info(STREAMS.up.name, 'ingest');
  assert.deepEqual([config.max_deliver, config.ack_wait, config.max_ack_pending], [25, 10_000 * 1_000_000, 64]);
  await js.publish('ap.up.t1.usage', '1');
  const rejectedSeq = (await js.publish('ap.up.t1.usage', '2')).seq;
  const dead = await until('the rejected batch in the DLQ', async () => {
    const info = await jsm.streams.info(STREAMS.dlq.name);
    return info.state.messages ? jsm.streams.getMessage(STREAMS.dlq.name, { seq: info.state.last_seq }) : undefined;
  });
  await until('batch 1 stored', async () => storedSeqs.length === 1);
  assert.deepEqual(storedSeqs, [1]);
  assert.deepEqual(
    stored.map((b) => b.seq),
    [1],
  );
  assert.equal(dead?.subject, 'cp.dlq.up.replayed_seq');
  assert.equal(dead?.header.get('Ap-Dlq-Stream-Seq'), String(rejectedSeq));
  const gone = await jsm.streams.getMessage(STREAMS.up.name, { seq: rejectedSeq });
  assert.equal(gone, null, 'moved, not copied: the rejected batch is no longer in AP_UP');
});

test('the ingest consumer takes the delivery limit and ack wait it is given', async (t) => {
  const ingest = await startIngest({ ...deps(async () => 'stored').d, nc, maxDeliver: 3, ackWaitMs: 2_000, concurrency: 20 });
  t.after(() => ingest.stop());
  const { config } = await jsm.consumers.info(STREAMS.up.name, 'ingest');
  assert.deepEqual([config.max_deliver, config.ack_wait, config.max_ack_pending], [3, 2_000 * 1_000_000, 80]);
});
