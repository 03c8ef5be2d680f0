import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jetstreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { REQUEST_ID_HEADER } from '../../../shared/request-id.ts';
import { subjects } from '../../../shared/subjects.ts';
import { startIntake } from '../../../customer-plane/runner/intake.ts';
import { ensureWorkQueue, WORK_STREAM } from '../../../customer-plane/runner/work-queue.ts';
import { localJetStream } from '../../support/jetstream.ts';
import { dispatchFor } from '../../support/ledger.ts';
import { fakeLog } from '../../support/step-toolbox.ts';

/**
 * Direct tests of the intake on a private nats-server: what arrives from the hub is checked at the
 * edge and queued once per workflow, however often the control plane re-sends it.
 */

const TENANT = '00000000-0000-4000-8000-000000000001';

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function send(nc: NatsConnection, body: string | object, requestId?: string) {
  const h = natsHeaders();
  if (requestId !== undefined) h.set(REQUEST_ID_HEADER.nats, requestId);
  nc.publish(subjects.down(TENANT), typeof body === 'string' ? body : JSON.stringify(body), { headers: h });
}

/** The queued work messages: body and request id header. */
async function queued(nc: NatsConnection) {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(WORK_STREAM);
  const out: Array<{ body: string; requestId: string | undefined; msgId: string | undefined }> = [];
  for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(WORK_STREAM, { seq });
    if (m)
      out.push({
        body: m.string(),
        requestId: m.header?.get(REQUEST_ID_HEADER.nats) || undefined,
        msgId: m.header?.get('Nats-Msg-Id') || undefined,
      });
  }
  return out;
}

test('a dispatch re-sent by the control plane is queued once; the first copy keeps its request id', async (t) => {
  const nc = await localJetStream(t);
  await ensureWorkQueue(nc);
  const { log, lines } = fakeLog();
  const intake = startIntake({ nc, tenant: TENANT, log });
  t.after(() => intake.sub.unsubscribe());
  const d = dispatchFor({ tenant: TENANT });
  send(nc, d, 'req-1');
  send(nc, d, 'req-1');
  send(nc, d, 'req-2');
  const other = dispatchFor({ tenant: TENANT });
  send(nc, other, 'not a sane id!');
  await until('four dispatches', () => intake.stats().accepted + intake.stats().duplicate === 4);
  assert.deepEqual(intake.stats(), { accepted: 2, duplicate: 2, invalid: 0 });
  assert.deepEqual(await queued(nc), [
    { body: JSON.stringify(d), requestId: 'req-1', msgId: d.workflowId },
    { body: JSON.stringify(other), requestId: undefined, msgId: other.workflowId },
  ]);
  assert.deepEqual(lines, [
    { level: 'info', obj: { workflowId: d.workflowId, template: d.template, reqId: 'req-1' }, msg: 'dispatch accepted' },
    { level: 'info', obj: { workflowId: other.workflowId, template: other.template, reqId: undefined }, msg: 'dispatch accepted' },
  ]);
  // stats() is a copy: a caller cannot change the counts.
  intake.stats().accepted = 99;
  assert.equal(intake.stats().accepted, 2);
});

test('what is not a valid dispatch of this tenant is dropped at the edge and never queued', async (t) => {
  const nc = await localJetStream(t);
  await ensureWorkQueue(nc);
  const { log, lines } = fakeLog();
  const intake = startIntake({ nc, tenant: TENANT, log });
  t.after(() => intake.sub.unsubscribe());
  send(nc, 'not json {');
  send(nc, { ...dispatchFor({ tenant: TENANT }), workflowId: 'not-a-ulid' });
  send(nc, dispatchFor({ tenant: '00000000-0000-4000-8000-000000000002' }));
  send(nc, { ...dispatchFor({ tenant: TENANT }), extra: 'field' });
  await until('four drops', () => intake.stats().invalid === 4);
  assert.deepEqual(intake.stats(), { accepted: 0, duplicate: 0, invalid: 4 });
  assert.deepEqual(await queued(nc), []);
  assert.deepEqual(
    lines,
    Array.from({ length: 4 }, () => ({ level: 'warn', obj: { subject: subjects.down(TENANT) }, msg: 'invalid dispatch dropped' })),
  );
});

test('a dispatch that cannot be queued is logged and not counted; the re-send is queued', async (t) => {
  const nc = await localJetStream(t);
  const { log, lines } = fakeLog();
  const intake = startIntake({ nc, tenant: TENANT, log });
  t.after(() => intake.sub.unsubscribe());
  const d = dispatchFor({ tenant: TENANT });
  send(nc, d);
  await until('the error', () => lines.length === 1);
  assert.equal(lines[0].level, 'error');
  assert.equal(lines[0].msg, 'could not queue dispatch; awaiting re-send');
  assert.equal((lines[0].obj as { workflowId: string }).workflowId, d.workflowId);
  assert.deepEqual(intake.stats(), { accepted: 0, duplicate: 0, invalid: 0 });
  await ensureWorkQueue(nc);
  send(nc, d);
  await until('the re-send', () => intake.stats().accepted === 1);
  assert.equal((await queued(nc)).length, 1);
});
