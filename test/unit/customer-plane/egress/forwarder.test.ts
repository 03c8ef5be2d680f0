// The forwarder's handling of one outbox message: it is done (and the outbox may drop the batch) only once the
// hub's stream acknowledged it and the audit record was written; every other outcome is a retry, never a loss.
// The connection is a fake that answers as the hub would, so the test sees the exact request the hub gets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import type { JsMsg } from '@nats-io/jetstream';
import { createHandlers, type Forwarded } from '../../../../customer-plane/egress/forwarder.ts';
import { PermanentError, RetryableError } from '../../../../shared/worker-errors.ts';

const TENANT = '0f8fad5b-d9cb-469f-a165-70867728950e';
const BATCH = new TextEncoder().encode('eyJhbGciOiJFZERTQSJ9.batch.signature');

type Request = { subject: string; data: Uint8Array; timeout: number; msgId: string | undefined; headerKeys: string[] };

/** A connection whose hub answers each request with `answer` (a JSON ack, text, or a thrown timeout). */
function fakeHub(answer: () => string) {
  const requests: Request[] = [];
  const nc = {
    request: async (subject: string, data: Uint8Array, ro: { timeout: number; headers?: MsgHdrs }) => {
      requests.push({ subject, data, timeout: ro.timeout, msgId: ro.headers?.get('Nats-Msg-Id'), headerKeys: ro.headers?.keys() ?? [] });
      const text = answer();
      return { string: () => text };
    },
  } as unknown as NatsConnection;
  return { nc, requests };
}

function outboxMessage(opts: { subject?: string; msgId?: string | null; extraHeader?: boolean } = {}): JsMsg {
  const h = natsHeaders();
  if (opts.msgId !== null) h.set('Nats-Msg-Id', opts.msgId ?? 'kid-1:42');
  if (opts.extraHeader) h.set('X-Local-Only', 'leaf detail');
  return { subject: opts.subject ?? 'ap.local.outbox.events', data: BATCH, headers: h } as unknown as JsMsg;
}

const hubAck = (ack: object) => () => JSON.stringify(ack);

async function refusal(p: Promise<unknown>): Promise<RetryableError | PermanentError> {
  try {
    await p;
  } catch (err) {
    return err as RetryableError | PermanentError;
  }
  assert.fail('the message was handled (it would be acked and leave the outbox)');
}

test("a batch the hub's stream stored is forwarded to the tenant's up subject with its Nats-Msg-Id, then recorded", async () => {
  const hub = fakeHub(hubAck({ stream: 'AP_UP', seq: 7 }));
  const forwarded: Forwarded[] = [];
  const { forward } = createHandlers({ nc: hub.nc, tenant: TENANT, onForwarded: (f) => void forwarded.push(f) });
  await forward(outboxMessage({ subject: 'ap.local.outbox.usage', extraHeader: true }));
  assert.deepEqual(hub.requests, [
    { subject: `ap.up.${TENANT}.usage`, data: BATCH, timeout: 5000, msgId: 'kid-1:42', headerKeys: ['Nats-Msg-Id'] },
  ]);
  assert.deepEqual(forwarded, [{ kind: 'usage', msgId: 'kid-1:42', data: BATCH, hubSeq: 7, duplicate: false }]);
});

test('a re-sent batch the hub already had is reported as a duplicate of the same hub seq', async () => {
  const hub = fakeHub(hubAck({ stream: 'AP_UP', seq: 7, duplicate: true }));
  const forwarded: Forwarded[] = [];
  const { forward } = createHandlers({ nc: hub.nc, tenant: TENANT, timeoutMs: 250, onForwarded: (f) => void forwarded.push(f) });
  await forward(outboxMessage());
  assert.equal(hub.requests[0].timeout, 250);
  assert.deepEqual(
    forwarded.map((f) => [f.hubSeq, f.duplicate]),
    [[7, true]],
  );
});

test('the outbox message is not done until the audit record is written, and a failed record is a retry', async () => {
  const hub = fakeHub(hubAck({ stream: 'AP_UP', seq: 1 }));
  let recorded = false;
  const slow = createHandlers({
    nc: hub.nc,
    tenant: TENANT,
    onForwarded: async () => {
      for (let i = 0; i < 5; i++) await Promise.resolve(); // a write that takes a few turns
      recorded = true;
    },
  });
  await slow.forward(outboxMessage());
  assert.equal(recorded, true, 'forward resolved before the record was written');

  const failing = createHandlers({
    nc: hub.nc,
    tenant: TENANT,
    onForwarded: async () => {
      throw new Error('disk full');
    },
  });
  await assert.rejects(failing.forward(outboxMessage()), /disk full/);
});

test('a hub that does not answer, answers with something other than JSON, refuses, or gives no seq: retried, never recorded', async () => {
  const cases: [string, () => string, string, RegExp][] = [
    [
      'no answer',
      () => {
        throw new Error('TIMEOUT');
      },
      'hub_unreachable',
      /hub did not acknowledge/,
    ],
    ['not JSON', () => '+OK', 'hub_bad_ack', /hub ack is not JSON/],
    [
      'a stream error',
      hubAck({ error: { code: 503, description: 'insufficient resources' }, seq: 3 }),
      'hub_rejected',
      /^hub stream refused: insufficient resources$/,
    ],
    ['an error with no description', hubAck({ error: {} }), 'hub_rejected', /^hub stream refused: no seq$/],
    ['no seq', hubAck({ stream: 'AP_UP' }), 'hub_rejected', /^hub stream refused: no seq$/],
    ['a seq that is not a number', hubAck({ stream: 'AP_UP', seq: '7' }), 'hub_rejected', /^hub stream refused: no seq$/],
  ];
  for (const [name, answer, code, message] of cases) {
    const hub = fakeHub(answer);
    let recorded = 0;
    const { forward } = createHandlers({ nc: hub.nc, tenant: TENANT, onForwarded: () => void recorded++ });
    const err = await refusal(forward(outboxMessage()));
    assert.ok(err instanceof RetryableError, `${name}: ${String(err)}`);
    assert.equal(err.code, code, name);
    assert.match(err.message, message, name);
    assert.equal(recorded, 0, name);
    // Why the hub did not answer, or what it answered, stays attached for the worker's log line.
    if (code !== 'hub_rejected') assert.ok(err.cause instanceof Error, `${name}: the cause is kept`);
  }
});

test('an outbox message without a Nats-Msg-Id is refused for good: without it the hub could store a re-send twice', async () => {
  const hub = fakeHub(hubAck({ stream: 'AP_UP', seq: 1 }));
  const { forward } = createHandlers({ nc: hub.nc, tenant: TENANT });
  for (const msg of [outboxMessage({ msgId: null }), { subject: 'ap.local.outbox.events', data: BATCH } as unknown as JsMsg]) {
    const err = await refusal(forward(msg));
    assert.ok(err instanceof PermanentError);
    assert.equal(err.code, 'no_msg_id');
    assert.match(err.message, /outbox message lacks Nats-Msg-Id/);
  }
  assert.equal(hub.requests.length, 0, 'nothing was sent to the hub');
});

test('a batch forwarded without an audit hook is still handled once the hub acknowledged it', async () => {
  const hub = fakeHub(hubAck({ stream: 'AP_UP', seq: 1 }));
  await createHandlers({ nc: hub.nc, tenant: TENANT }).forward(outboxMessage());
  assert.equal(hub.requests.length, 1);
});
