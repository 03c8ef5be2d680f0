import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { newUlid } from '../../../shared/ids.ts';
import { generateTenantKey, importTenantKey, signBatch, type TenantSigningKey } from '../../../shared/signing.ts';
import { subjects } from '../../../shared/subjects.ts';
import { STREAMS } from '../../../control-plane/hub/streams.ts';
import { createTenant, enrollDirect, query, waitFor } from '../../../scripts/topology/boundary-rig.ts';
import { hubRig } from '../../support/hub-rig.ts';
import { usageEvent } from '../../support/usage-event.ts';

const usage = () => usageEvent({ day: '2026-01-01', provider: 'anthropic', tier: 'ultra', inputTokens: 10, outputTokens: 2 });

async function signed(key: TenantSigningKey, tenant: string, seq: number, events = [usage()]): Promise<string> {
  return signBatch({ tenant, seq, iat: Math.floor(Date.now() / 1000), kind: 'usage', events }, key);
}

test('tampered, unsigned, replayed (old seq), wrong-tenant and wrong-key batches are each moved to AP_DLQ with their reason and nothing of them is stored', async (t) => {
  const { defer, db, hub, operatorToken, startControl } = await hubRig(t, 'rejected');
  const control = await startControl();
  const op = await operatorToken();
  const a = await createTenant(control.url, op, 'tenant-a');
  const b = await createTenant(control.url, op, 'tenant-b');
  const keyA = (await enrollDirect(control.url, a.enrollToken)).key;
  await enrollDirect(control.url, b.enrollToken);
  const stranger = await importTenantKey((await generateTenantKey()).privateJwk);
  // Connected after enrollment: each enrollment reloads the hub's accounts.
  const nc = await hub.connectControl();
  defer(() => nc.close());
  const js = jetstream(nc);
  const jsm = await waitFor('JetStream after the reload', () => jetstreamManager(nc).catch(() => undefined), 10_000);
  // Batches arrive on the CONTROL account's ap.up subjects exactly as a leaf's would.
  const send = (subject: string, data: string) => {
    const h = natsHeaders();
    h.set('Nats-Msg-Id', newUlid());
    return js.publish(subject, data, { headers: h });
  };

  // A good batch first (seq 1): it is stored, and its seq is now used.
  await send(subjects.up(a.tenant, 'usage'), await signed(keyA, a.tenant, 1));
  await waitFor('the good batch', async () => ((await query(db.url, 'SELECT 1 FROM up_batches')).length === 1 ? true : undefined), 20_000);

  const good = await signed(keyA, a.tenant, 2);
  const [h, p, s] = good.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  payload.events[0].inputTokens = 999_999; // the tampered field
  const cases: Array<{ reason: string; subject: string; data: string }> = [
    {
      reason: 'bad_signature',
      subject: subjects.up(a.tenant, 'usage'),
      data: `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`,
    },
    {
      reason: 'malformed',
      subject: subjects.up(a.tenant, 'usage'),
      data: JSON.stringify({ tenant: a.tenant, seq: 3, iat: 1, kind: 'usage', events: [usage()] }),
    },
    { reason: 'replayed_seq', subject: subjects.up(a.tenant, 'usage'), data: await signed(keyA, a.tenant, 1) },
    { reason: 'wrong_tenant', subject: subjects.up(b.tenant, 'usage'), data: await signed(keyA, a.tenant, 4) },
    { reason: 'unknown_key', subject: subjects.up(a.tenant, 'usage'), data: await signed(stranger, a.tenant, 5) },
  ];
  const seqs: number[] = [];
  for (const c of cases) seqs.push((await send(c.subject, c.data)).seq);

  for (const [i, c] of cases.entries()) {
    const moved = await waitFor(
      `DLQ entry for ${c.reason}`,
      async () =>
        (await jsm.streams.getMessage(STREAMS.dlq.name, { last_by_subj: `cp.dlq.up.${c.reason}` }).catch(() => null)) ?? undefined,
      20_000,
    );
    assert.equal(moved.header.get('Ap-Dlq-Reason'), c.reason);
    assert.equal(moved.header.get('Ap-Dlq-Stream-Seq'), String(seqs[i]));
    assert.equal(new TextDecoder().decode(moved.data), c.data, 'the DLQ keeps the batch exactly as received');
    // A move is a copy then a delete: the copy can be seen a moment before the delete lands.
    await waitFor(
      `${c.reason}: removed from AP_UP (moved, not copied)`,
      async () => ((await jsm.streams.getMessage(STREAMS.up.name, { seq: seqs[i] })) === null ? true : undefined),
      20_000,
    );
  }
  assert.equal((await jsm.streams.info(STREAMS.dlq.name)).state.messages, cases.length);
  const stored = await query<{ seq: string; kid: string }>(db.url, 'SELECT seq, kid FROM up_batches');
  assert.deepEqual(
    stored.map((r) => Number(r.seq)),
    [1],
    'only the good batch was stored',
  );
  const [events] = await query<{ n: string; t: string }>(
    db.url,
    "SELECT count(*) AS n, sum((body->>'inputTokens')::int) AS t FROM up_events",
  );
  assert.equal(Number(events.n), 1);
  assert.equal(Number(events.t), 10, 'the replayed and tampered contents were not counted');
});
