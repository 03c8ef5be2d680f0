import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { newUlid } from '../../../shared/ids.ts';
import type { OtelPoint } from '../../../shared/boundary.ts';
import { STREAMS } from '../../../control-plane/hub/streams.ts';
import { auditLogPath, verifyAuditLog, type AuditRecord } from '../../../customer-plane/egress/audit-log.ts';
import { readFileSync } from 'node:fs';
import { createTenant, query, startCustomerInProcess, storedCounts, waitFor } from '../../../scripts/topology/boundary-rig.ts';
import { hubRig } from '../../support/hub-rig.ts';

const TOTAL = 20_000;
const HALF = 10_000;
/** The hub is killed the moment it acknowledges this many batches: others are in flight, most still queued. */
const KILL_AT_ACK = 4;

function point(i: number): OtelPoint {
  return { eventId: newUlid(), metric: 'step.duration_ms', kind: 'gauge', at: Date.now(), value: i };
}

test('kill -9 of the hub mid-stream of 20,000 events: after restart all 20,000 are stored exactly once, none dead-lettered, audit chain matches the hub', async (t) => {
  const { defer, dir, db, hub, operatorToken, startControl } = await hubRig(t, 'hubcrash');
  // The control plane runs against a hub it does not own (HUB_NATS_URL & co.), as in production.
  const control = await startControl();
  const { tenant, enrollToken } = await createTenant(control.url, await operatorToken());
  const stateDir = join(dir.path, 'customer');
  let acks = 0;
  let killed: Promise<void> | undefined;
  const customer = await startCustomerInProcess({
    apiUrl: control.url,
    tenant,
    enrollToken,
    stateDir,
    onForwarded: () => {
      if (++acks === KILL_AT_ACK) killed = hub.kill9();
    },
  });
  defer(() => customer.stop());
  const egress = customer.plane.egress;

  const ids: string[] = [];
  const emit = async (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const p = point(i);
      ids.push(p.eventId);
      assert.equal(egress.emit('otel', p).ok, true);
      if (i % 1000 === 999) await egress.flush();
    }
    await egress.flush();
  };
  await emit(0, HALF);
  await waitFor('the hub kill', () => (killed ? true : undefined), 60_000, 10);
  await killed;
  const atKill = await storedCounts(db.url, tenant);
  assert.ok(atKill.events < HALF, 'the hub died mid-stream, with batches not yet stored');
  // The second half is produced while the hub is down: it waits in the leaf's outbox.
  await emit(HALF, TOTAL);
  await hub.restart();

  const final = await waitFor(
    'all events stored',
    async () => {
      const c = await storedCounts(db.url, tenant);
      return c.events >= TOTAL ? c : undefined;
    },
    120_000,
    250,
  );
  assert.equal(final.events, TOTAL, 'every event stored once');
  assert.equal(final.batchEvents, TOTAL, 'no batch counted twice');
  const [present] = await query<{ n: string }>(db.url, 'SELECT count(*) AS n FROM up_events WHERE event_id = ANY($1::text[])', [ids]);
  assert.equal(Number(present.n), TOTAL, 'exactly the events that were emitted');

  const nc = await hub.connectControl();
  defer(() => nc.close());
  const jsm = await jetstreamManager(nc);
  assert.equal(
    (await jsm.streams.info(STREAMS.dlq.name)).state.messages,
    0,
    'nothing dead-lettered (a re-forward is a duplicate, not a replay)',
  );

  // The customer's audit chain holds each stored batch once, with the digest the hub stored.
  const auditPath = auditLogPath(stateDir);
  await waitFor('audit caught up', () => verifyAuditLog(auditPath).records === final.batches || undefined, 20_000);
  const summary = verifyAuditLog(auditPath);
  assert.equal(summary.ok, true);
  const audited = readFileSync(auditPath, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditRecord);
  assert.equal(
    audited.reduce((n, r) => n + r.events, 0),
    TOTAL,
  );
  const stored = await query<{ kid: string; seq: string; digest: string }>(
    db.url,
    'SELECT kid, seq, digest FROM up_batches WHERE tenant_id = $1',
    [tenant],
  );
  const storedMap = new Map(stored.map((r) => [`${r.kid}:${r.seq}`, r.digest]));
  assert.equal(audited.length, storedMap.size);
  for (const r of audited) assert.equal(storedMap.get(`${r.kid}:${r.seq}`), r.digest, `audit record ${r.index} matches the stored batch`);
});
