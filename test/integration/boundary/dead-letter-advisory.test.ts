import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import { AckPolicy, jetstream } from '@nats-io/jetstream';
import { startEmbeddedHub } from '../../../control-plane/hub/embedded.ts';
import { ensureHubStreams, STREAMS } from '../../../control-plane/hub/streams.ts';
import { startDeadLetterMover } from '../../../control-plane/telemetry/dead-letter.ts';
import { createLogger } from '../../../shared/log.ts';
import { deferNewestFirst } from '../../support/cleanup.ts';

const log = createLogger({ service: 'test', level: 'silent' });

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test('a message whose consumer never acks is moved to AP_DLQ after max_deliver (advisory captured, original copied, source deleted)', async (t) => {
  const defer = deferNewestFirst(t);
  const dir = mkdtempSync(join(tmpdir(), 'ap-dlq-'));
  defer(() => rmSync(dir, { recursive: true, force: true }));
  const hub = await startEmbeddedHub({ stateDir: dir });
  defer(() => hub.stop());
  const nc = await connect({ servers: hub.natsUrl, user: hub.user, pass: hub.password });
  defer(() => nc.close());
  const jsm = await ensureHubStreams(nc);
  const js = jetstream(nc);
  const subject = 'ap.up.00000000-0000-4000-8000-000000000001.meta';
  const pa = await js.publish(subject, 'signed-batch-bytes');
  // A consumer that "crashes" on every delivery: it takes the message and never acks.
  await jsm.consumers.add(STREAMS.up.name, {
    durable_name: 'hung',
    ack_policy: AckPolicy.Explicit,
    max_deliver: 2,
    ack_wait: 300_000_000,
  });
  const consumer = await js.consumers.get(STREAMS.up.name, 'hung');
  for (let i = 0; i < 2; i++) {
    const m = await consumer.next({ expires: 5000 });
    assert.ok(m, `delivery ${i + 1} arrives`);
  }
  // The server gives up when it would deliver a third time (a pull is waiting, as a live consumer's
  // always is) and publishes the advisory, which the stream keeps.
  assert.equal(await consumer.next({ expires: 2000 }), null, 'no third delivery');
  await waitFor('the advisory', async () => ((await jsm.streams.info(STREAMS.advisories.name)).state.messages > 0 ? true : undefined));
  const mover = await startDeadLetterMover({ nc, log });
  defer(() => mover.stop());
  const dlqMsg = await waitFor(
    'the DLQ copy',
    async () =>
      (await jsm.streams.getMessage(STREAMS.dlq.name, { last_by_subj: 'cp.dlq.up.max_deliveries' }).catch(() => null)) ?? undefined,
  );
  assert.equal(new TextDecoder().decode(dlqMsg.data), 'signed-batch-bytes');
  assert.equal(dlqMsg.header.get('Ap-Dlq-Reason'), 'max_deliveries');
  assert.equal(dlqMsg.header.get('Ap-Dlq-Stream'), STREAMS.up.name);
  assert.equal(dlqMsg.header.get('Ap-Dlq-Stream-Seq'), String(pa.seq));
  assert.equal(dlqMsg.header.get('Ap-Dlq-Subject'), subject);
  await waitFor('the source to be deleted', async () =>
    (await jsm.streams.getMessage(STREAMS.up.name, { seq: pa.seq })) === null ? true : undefined,
  );
  await waitFor('the advisory to be consumed', async () =>
    (await jsm.streams.info(STREAMS.advisories.name)).state.messages === 0 ? true : undefined,
  );
  assert.equal((await jsm.streams.info(STREAMS.dlq.name)).state.messages, 1, 'moved once');
});
