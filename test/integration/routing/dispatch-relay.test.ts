// The dispatcher and the relay on a private nats-server with the hub's streams: a dispatch is on the
// hub's queue once enqueue returns (stored once however often it is retried), a hub that is down refuses
// it with UnavailableError (503 + Retry-After) and queues nothing, and the relay re-sends a queued
// workflow's dispatch until the customer plane accepts it, dead-lettering it (workflow failed
// `undeliverable`) when its deliveries run out.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { WorkflowStore } from '../../../control-plane/db/workflows.ts';
import { createDispatcher, DISPATCH_PUBLISH_TIMEOUT_MS } from '../../../control-plane/routing/dispatch.ts';
import { startRelay } from '../../../control-plane/routing/relay.ts';
import { dispatchQueueSubject, ensureHubStreams, STREAMS } from '../../../control-plane/hub/streams.ts';
import type { Dispatch } from '../../../shared/dispatch.ts';
import { UnavailableError } from '../../../shared/errors.ts';
import { newUlid } from '../../../shared/ids.ts';
import { silentLogger } from '../../../shared/log.ts';
import { REQUEST_ID_HEADER } from '../../../shared/request-id.ts';
import { subjects } from '../../../shared/subjects.ts';
import { localJetStream, rejection, until } from '../../support/jetstream.ts';

const nc = await localJetStream({ after });
const jsm = await ensureHubStreams(nc);

/**
 * A server where no stream takes the dispatch subject but a subscriber does, and never answers: a hung hub.
 * Its enqueue starts as the file loads, so the publish timeout it waits out overlaps the other tests.
 */
const hungHub = (async () => {
  const hung = await localJetStream({ after });
  hung.subscribe(dispatchQueueSubject('*'));
  const started = Date.now();
  const err = await createDispatcher({ nc: hung })
    .enqueue(dispatch())
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  return { err, took: Date.now() - started };
})();

function dispatch(tenant = crypto.randomUUID()): Dispatch {
  return { workflowId: newUlid(), tenant, template: 'code-review', repo: 'sample', requestedAt: 1_700_000_000_000 };
}

/** The queued dispatches of one tenant: body and request id header. */
async function queued(tenant: string) {
  const info = await jsm.streams.info(STREAMS.dispatch.name, { subjects_filter: dispatchQueueSubject(tenant) });
  const out: Array<{ body: Dispatch; requestId: string | undefined }> = [];
  if (!info.state.messages) return out;
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(STREAMS.dispatch.name, { seq }).catch(() => null);
    if (m?.subject === dispatchQueueSubject(tenant))
      out.push({ body: m.json(), requestId: m.header?.get(REQUEST_ID_HEADER.nats) || undefined });
  }
  return out;
}

test('an enqueued dispatch is on the hub’s queue for its tenant, with its request id; a retried enqueue stores it once', async () => {
  const d = dispatch();
  const dispatcher = createDispatcher({ nc, hubConnected: () => true });
  await dispatcher.enqueue(d, { requestId: 'req-1' });
  await dispatcher.enqueue(d, { requestId: 'req-1' });
  assert.deepEqual(await queued(d.tenant), [{ body: d, requestId: 'req-1' }]);
  const plain = dispatch();
  await createDispatcher({ nc }).enqueue(plain);
  assert.deepEqual(await queued(plain.tenant), [{ body: plain, requestId: undefined }]);
});

test('while the hub link is down a dispatch is refused at once as unavailable (503, Retry-After) and nothing is queued', async () => {
  const d = dispatch();
  const err = await rejection(createDispatcher({ nc, hubConnected: () => false }).enqueue(d));
  assert.ok(err instanceof UnavailableError);
  assert.deepEqual([err.status, err.dependency, err.retryAfterSeconds > 0], [503, 'hub', true]);
  // What the API client reads in the 503: that nothing was accepted and a retry is the answer.
  assert.equal(err.message, 'the dispatch queue (NATS hub) is unreachable; the workflow was not accepted, retry shortly');
  assert.deepEqual(await queued(d.tenant), []);
});

test('a publish the hub cannot take (connection closed) is refused as unavailable, with the cause kept', async () => {
  const closed = await connect({ servers: nc.getServer() });
  const dispatcher = createDispatcher({ nc: closed });
  await closed.close();
  const err = await rejection(dispatcher.enqueue(dispatch()));
  assert.ok(err instanceof UnavailableError);
  assert.equal(err.dependency, 'hub');
  assert.ok(err.cause instanceof Error);
});

test('a publish the hub refuses for another reason is not disguised as an outage', async (t) => {
  const small = await localJetStream(t);
  await (await jetstreamManager(small)).streams.add({
    name: 'SMALL',
    subjects: ['cp.dispatch.*'],
    storage: StorageType.Memory,
    retention: RetentionPolicy.Workqueue,
    max_msg_size: 16,
  });
  const err = await rejection(createDispatcher({ nc: small }).enqueue(dispatch()));
  assert.ok(!(err instanceof UnavailableError), String(err));
});

/** A store whose workflows the test sets, recording what the relay does to them. */
function fakeStore(statuses: Map<string, string>) {
  const undeliverable: string[] = [];
  const attempts: string[] = [];
  const store = {
    status: async (id: string) => statuses.get(id),
    countDispatchAttempt: async (id: string) => void attempts.push(id),
    markUndeliverable: async (id: string) => void undeliverable.push(id),
  } as unknown as WorkflowStore;
  return { store, undeliverable, attempts };
}

/** Each relay test starts from empty queues: what earlier tests enqueued is no concern of the relay here. */
async function emptyQueues(): Promise<void> {
  await jsm.consumers.delete(STREAMS.dispatch.name, 'relay').catch(() => undefined);
  await jsm.streams.purge(STREAMS.dispatch.name);
  await jsm.streams.purge(STREAMS.dlq.name);
}

test('the relay re-sends a queued dispatch until the plane accepts it, then it leaves the queue; its consumer keeps it 400 deliveries', async (t) => {
  const d = dispatch();
  const statuses = new Map([[d.workflowId, 'queued']]);
  const { store, attempts } = fakeStore(statuses);
  const down: string[] = [];
  const sub = nc.subscribe(subjects.down(d.tenant), {
    callback: (_e, m) => {
      down.push(m.headers?.get(REQUEST_ID_HEADER.nats) ?? '');
      if (down.length === 2) statuses.set(d.workflowId, 'running');
    },
  });
  t.after(() => sub.unsubscribe());
  await nc.flush();
  await emptyQueues();
  const relay = await startRelay({ nc, workflows: store, log: silentLogger() });
  t.after(() => relay.stop());
  const { config } = await jsm.consumers.info(STREAMS.dispatch.name, 'relay');
  assert.deepEqual([config.max_deliver, config.ack_wait, config.max_ack_pending], [400, 30_000 * 1_000_000, 64]);
  await createDispatcher({ nc }).enqueue(d, { requestId: 'req-9' });
  await until('the dispatch gone from the queue', async () => (await queued(d.tenant)).length === 0);
  assert.deepEqual(down, ['req-9', 'req-9'], 'sent twice, with its request id');
  assert.deepEqual(attempts, [d.workflowId, d.workflowId]);
});

test('a dispatch not accepted within its deliveries fails its workflow as undeliverable and moves to the DLQ; a malformed one only moves', async (t) => {
  const d = dispatch();
  const { store, undeliverable } = fakeStore(new Map([[d.workflowId, 'queued']]));
  await emptyQueues();
  const relay = await startRelay({ nc, workflows: store, log: silentLogger(), maxDeliver: 2 });
  t.after(() => relay.stop());
  assert.equal((await jsm.consumers.info(STREAMS.dispatch.name, 'relay')).config.max_deliver, 2);
  await createDispatcher({ nc }).enqueue(d);
  await jetstream(nc).publish(dispatchQueueSubject(d.tenant), 'not a dispatch');
  const dead = await until('both in the DLQ', async () => {
    const info = await jsm.streams.info(STREAMS.dlq.name);
    if (info.state.messages < 2) return undefined;
    const out = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(STREAMS.dlq.name, { seq });
      if (m) out.push([m.subject, m.header.get('Ap-Dlq-Reason'), m.string()]);
    }
    return out.sort();
  });
  assert.deepEqual(dead, [
    ['cp.dlq.dispatch.malformed_dispatch', 'malformed_dispatch', 'not a dispatch'],
    ['cp.dlq.dispatch.not_completed', 'not_completed', JSON.stringify(d)],
  ]);
  assert.deepEqual(undeliverable, [d.workflowId]);
});

test('a hub that does not acknowledge in time refuses the dispatch after DISPATCH_PUBLISH_TIMEOUT_MS, not the client’s default', async () => {
  const { err, took } = await hungHub;
  assert.ok(err instanceof UnavailableError, String(err));
  assert.ok(took >= DISPATCH_PUBLISH_TIMEOUT_MS - 100 && took < DISPATCH_PUBLISH_TIMEOUT_MS + 1500, `refused after ${took} ms`);
});
