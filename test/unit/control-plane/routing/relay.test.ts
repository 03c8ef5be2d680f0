// The relay's decision for one queued dispatch, with a fake store and connection: a workflow still
// queued is sent down to its tenant again (with the request id it came with) and re-sent later, at a
// pace that grows to every 15 s; one the customer plane accepted is done; a dispatch whose row has not
// appeared yet waits a little, and one whose row never appears is refused, as is one that is not a
// dispatch. test/integration/routing/dispatch-relay.test.ts runs the relay on a real nats-server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import type { WorkflowStore } from '../../../../control-plane/db/workflows.ts';
import { createHandlers } from '../../../../control-plane/routing/relay.ts';
import type { Dispatch } from '../../../../shared/dispatch.ts';
import { newUlid } from '../../../../shared/ids.ts';
import { silentLogger } from '../../../../shared/log.ts';
import { REQUEST_ID_HEADER } from '../../../../shared/request-id.ts';
import { subjects } from '../../../../shared/subjects.ts';
import { PermanentError } from '../../../../shared/worker-errors.ts';

const TENANT = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

function rig(status: string | undefined) {
  const sent: Array<{ subject: string; data: Uint8Array; requestId: string | undefined; hasHeader: boolean }> = [];
  const attempts: string[] = [];
  const nc = {
    publish(subject: string, data: Uint8Array, o: { headers: ReturnType<typeof natsHeaders> }) {
      sent.push({
        subject,
        data,
        requestId: o.headers.get(REQUEST_ID_HEADER.nats) || undefined,
        hasHeader: o.headers.has(REQUEST_ID_HEADER.nats),
      });
    },
  } as unknown as NatsConnection;
  const workflows = {
    status: async () => status,
    countDispatchAttempt: async (id: string) => void attempts.push(id),
  } as unknown as WorkflowStore;
  return { relay: createHandlers({ nc, workflows, log: silentLogger() }).relay, sent, attempts };
}

const dispatch = (): Dispatch => ({
  workflowId: newUlid(),
  tenant: TENANT,
  template: 'code-review',
  repo: 'sample',
  requestedAt: 1_700_000_000_000,
});

function message(body: string | Dispatch, deliveryCount: number, requestId?: string): JsMsg {
  const h = natsHeaders();
  if (requestId) h.set(REQUEST_ID_HEADER.nats, requestId);
  return {
    data: new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body)),
    info: { deliveryCount },
    headers: requestId ? h : undefined,
  } as unknown as JsMsg;
}

const refusal = async (p: Promise<unknown>): Promise<PermanentError> => {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof PermanentError, String(err));
    return err;
  }
  assert.fail('expected a refusal');
};

test('a queued workflow’s dispatch is sent down to its tenant as it was queued, and the attempt counted', async () => {
  const r = rig('queued');
  const d = dispatch();
  const msg = message(d, 1, 'req-123');
  assert.deepEqual(await r.relay(msg), { retryInMs: 500 });
  assert.equal(r.sent.length, 1);
  assert.equal(r.sent[0].subject, subjects.down(TENANT));
  assert.equal(r.sent[0].data, msg.data, 'the queued bytes, not a re-encoding');
  assert.equal(r.sent[0].requestId, 'req-123');
  assert.deepEqual(r.attempts, [d.workflowId]);
});

test('a dispatch queued without a request id is sent without one', async () => {
  const r = rig('queued');
  await r.relay(message(dispatch(), 1));
  assert.equal(r.sent[0].hasHeader, false);
});

test('a dispatch still queued is re-sent half a second later each time, up to every 15 s', async () => {
  const r = rig('queued');
  const d = dispatch();
  const delays = [];
  for (const delivery of [1, 2, 3, 29, 30, 31, 400]) delays.push(await r.relay(message(d, delivery)));
  assert.deepEqual(
    delays.map((x) => (x as { retryInMs: number }).retryInMs),
    [500, 1000, 1500, 14_500, 15_000, 15_000, 15_000],
  );
  assert.equal(r.sent.length, 7);
});

test('a workflow the customer plane has accepted (or that ended) is done: nothing is sent and nothing counted', async () => {
  for (const status of ['running', 'succeeded', 'failed']) {
    const r = rig(status);
    assert.equal(await r.relay(message(dispatch(), 3)), undefined, status);
    assert.deepEqual([r.sent.length, r.attempts.length], [0, 0], status);
  }
});

test('a dispatch that arrives before its row is waited for, a little longer each delivery, for 7 deliveries', async () => {
  const r = rig(undefined);
  assert.deepEqual(await r.relay(message(dispatch(), 1)), { retryInMs: 200 });
  assert.deepEqual(await r.relay(message(dispatch(), 7)), { retryInMs: 1400 });
  assert.deepEqual([r.sent.length, r.attempts.length], [0, 0]);
});

test('a dispatch whose workflow is still unknown on its 8th delivery is refused as unknown_workflow', async () => {
  const r = rig(undefined);
  const err = await refusal(r.relay(message(dispatch(), 8)));
  assert.equal(err.code, 'unknown_workflow');
  assert.equal(r.sent.length, 0);
});

test('what is not a dispatch is refused as malformed_dispatch, whatever the store says', async () => {
  const r = rig('queued');
  for (const body of [
    'not json',
    '{}',
    JSON.stringify({ ...dispatch(), tenant: 'not-a-uuid' }),
    JSON.stringify({ ...dispatch(), extra: 1 }),
  ]) {
    const err = await refusal(r.relay(message(body, 1)));
    assert.equal(err.code, 'malformed_dispatch', body);
  }
  assert.equal(r.sent.length, 0);
});
