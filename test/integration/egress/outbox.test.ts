import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { ensureOutbox, OUTBOX_STREAM, outboxSubject } from '../../../customer-plane/egress/outbox.ts';
import { localJetStream } from '../../support/jetstream.ts';

test('the outbox is a file-backed work queue of at most 1 GiB that refuses new batches when full and drops duplicates for an hour', async (t) => {
  const nc = await localJetStream(t);
  await ensureOutbox(nc);
  const { config } = await (await jetstreamManager(nc)).streams.info(OUTBOX_STREAM);
  assert.deepEqual(config.subjects, ['ap.local.outbox.*']);
  assert.equal(config.storage, StorageType.File);
  assert.equal(config.retention, RetentionPolicy.Workqueue);
  assert.equal(config.discard, DiscardPolicy.New);
  assert.equal(config.max_bytes, 1024 * 1024 * 1024);
  assert.equal(config.duplicate_window, 3600 * 1_000_000_000);
});

test('a full outbox refuses the next batch and keeps every batch it holds: backpressure, never a silent loss', async (t) => {
  const nc = await localJetStream(t);
  await ensureOutbox(nc, { maxBytes: 4096 });
  const js = jetstream(nc);
  const batch = new Uint8Array(1024).fill(120);
  let stored = 0;
  let refused: unknown;
  for (let i = 0; i < 10 && !refused; i++) {
    try {
      await js.publish(outboxSubject('usage'), batch, { msgID: `batch-${i}` });
      stored += 1;
    } catch (err) {
      refused = err;
    }
  }
  assert.ok(refused, 'a publish past the limit fails');
  assert.ok(stored >= 1, 'batches under the limit are stored');
  const { state } = await (await jetstreamManager(nc)).streams.info(OUTBOX_STREAM);
  assert.equal(state.messages, stored, 'every stored batch is still there');
});
