import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jetstream } from '@nats-io/jetstream';
import { createEgress } from '../../../customer-plane/egress/egress.ts';
import { ensureOutbox, OUTBOX_STREAM } from '../../../customer-plane/egress/outbox.ts';
import { signingKeySource } from '../../../customer-plane/secrets/plane-secrets.ts';
import type { SecretName, SecretStore } from '../../../customer-plane/secrets/store.ts';
import { newUlid } from '../../../shared/ids.ts';
import { silentLogger } from '../../../shared/log.ts';
import { localJetStream } from '../../support/jetstream.ts';
import { generateTenantKey, verifyBatch } from '../../../shared/signing.ts';

test('egress reads the signing key from the store when it signs: while the store cannot be read no event is taken or lost, and they go out signed once it can', async (t) => {
  const nc = await localJetStream(t);
  await ensureOutbox(nc);

  const key = await generateTenantKey();
  let up = false;
  let reads = 0;
  const store: SecretStore = {
    async get(name: SecretName) {
      reads += 1;
      if (!up) throw new Error('secret store unreachable');
      return name === 'tenant-signing-key' ? JSON.stringify(key.privateJwk) : undefined;
    },
    async put() {},
  };
  let seq = 0;
  const egress = createEgress({
    nc,
    tenant: '00000000-0000-4000-8000-0000000000e1',
    key: signingKeySource(store, key.kid, { ttlMs: 0 }),
    seq: { next: () => ++seq },
    log: silentLogger(),
    flushIntervalMs: 60_000,
  });
  t.after(() => egress.close().catch(() => {}));
  const event = () => ({ type: 'workflow.started', eventId: newUlid(), workflowId: newUlid(), template: 'code-review', at: Date.now() });
  assert.equal(egress.emit('meta', event()).ok, true);
  assert.equal(egress.emit('meta', event()).ok, true);

  await assert.rejects(egress.flush(), /unreachable/);
  assert.equal(seq, 0, 'no sequence number was spent');
  assert.equal(egress.stats().batches.meta, 0);
  up = true;
  await egress.flush();
  assert.equal(reads, 2, 'the key was read at each signature, not held from start');
  const stream = await (await jetstream(nc).jetstreamManager()).streams.info(OUTBOX_STREAM);
  assert.equal(stream.state.messages, 1, 'one batch in the outbox');
  const msg = await (await jetstream(nc).jetstreamManager()).streams.getMessage(OUTBOX_STREAM, { seq: stream.state.first_seq });
  const verified = await verifyBatch(new TextDecoder().decode(msg!.data), key.publicJwk);
  assert.equal((verified.payload as { events: unknown[] }).events.length, 2, 'both events went out, signed with the enrolled key');
});
