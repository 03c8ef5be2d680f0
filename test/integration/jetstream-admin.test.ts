import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, after, test } from 'node:test';
import { AckPolicy, jetstream, jetstreamManager, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { deleteStreamMessage, ensureConsumer, ensureStream } from '../../shared/jetstream-admin.ts';
import { renderNatsConf } from '../../shared/nats-conf.ts';
import { freePort, startNatsServer, type NatsServerProcess } from '../../shared/nats-server-process.ts';
import { isBriefHubOutage, isNoResponders, isStreamOrConsumerMissing } from '../../shared/nats-errors.ts';

// NATS failures are recognised by the client's error types and JetStream's API codes; these cases
// produce each failure for real, against a nats-server, so a client upgrade that changes them fails here.

let server: NatsServerProcess;
let dir: string;
let url: string;
let nc: NatsConnection;
let jsm: JetStreamManager;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ap-jsadmin-'));
  const port = await freePort();
  const configPath = join(dir, 'nats.conf');
  writeFileSync(
    configPath,
    renderNatsConf({
      listen: `127.0.0.1:${port}`,
      jetstream: { store_dir: join(dir, 'js') },
      authorization: { users: [{ user: 'svc', password: 'right' }] },
    }),
  );
  server = await startNatsServer({ configPath, port });
  url = `nats://127.0.0.1:${port}`;
  nc = await connect({ servers: url, user: 'svc', pass: 'right' });
  jsm = await jetstreamManager(nc);
});
after(async () => {
  await nc?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const HOUR_NS = 3600 * 1_000_000_000;

test('ensureStream creates a missing stream, and applies a changed configuration to an existing one', async () => {
  await ensureStream(jsm, { name: 'ENSURED', subjects: ['ensured.>'], max_age: HOUR_NS });
  assert.equal((await jsm.streams.info('ENSURED')).config.max_age, HOUR_NS);
  await ensureStream(jsm, { name: 'ENSURED', subjects: ['ensured.>'], max_age: 2 * HOUR_NS });
  assert.equal((await jsm.streams.info('ENSURED')).config.max_age, 2 * HOUR_NS);
});

test('ensureConsumer creates a missing durable consumer, and updates an existing one', async () => {
  await ensureStream(jsm, { name: 'WORK', subjects: ['work.>'] });
  await ensureConsumer(jsm, 'WORK', { durable_name: 'w', ack_policy: AckPolicy.Explicit, max_deliver: 3 });
  assert.equal((await jsm.consumers.info('WORK', 'w')).config.max_deliver, 3);
  await ensureConsumer(jsm, 'WORK', { durable_name: 'w', ack_policy: AckPolicy.Explicit, max_deliver: 5 });
  assert.equal((await jsm.consumers.info('WORK', 'w')).config.max_deliver, 5);
});

test('a missing stream or consumer is recognised by its API code; other API errors and look-alike messages are not', async () => {
  const streamMissing = await jsm.streams.info('NO_SUCH_STREAM').catch((e: unknown) => e);
  const consumerMissing = await jsm.consumers.info('WORK', 'nobody').catch((e: unknown) => e);
  assert.equal(isStreamOrConsumerMissing(streamMissing), true);
  assert.equal(isStreamOrConsumerMissing(consumerMissing), true);
  assert.equal(isStreamOrConsumerMissing(new Error('stream not found')), false, 'words in a message are not a code');
  await ensureStream(jsm, { name: 'GONE', subjects: ['gone.>'] });
  const deleteFailed = await jsm.streams.deleteMessage('GONE', 42).catch((e: unknown) => e);
  assert.ok(deleteFailed instanceof JetStreamApiError);
  assert.equal(isStreamOrConsumerMissing(deleteFailed), false);
});

test('deleteStreamMessage removes a message, counts one already gone as deleted, and still reports other failures', async () => {
  await ensureStream(jsm, { name: 'MOVE', subjects: ['move.>'] });
  const ack = await jetstream(nc).publish('move.x', 'payload');
  await deleteStreamMessage(jsm, 'MOVE', ack.seq);
  assert.equal(await jsm.streams.getMessage('MOVE', { seq: ack.seq }), null);
  await deleteStreamMessage(jsm, 'MOVE', ack.seq); // already gone: done either way
  await assert.rejects(deleteStreamMessage(jsm, 'NO_SUCH_STREAM', 1), (err: unknown) => isStreamOrConsumerMissing(err));
});

test('what a hub reload causes for a moment is recognised: refused login, no responders, JetStream not enabled for the account, a timed out request', async () => {
  const refused = await connect({ servers: url, user: 'svc', pass: 'wrong', maxReconnectAttempts: 0 }).catch((e: unknown) => e);
  assert.equal(isBriefHubOutage(refused), true, 'authorization violation');

  const noResponders = await nc.request('nobody.listens', 'x', { timeout: 1000 }).catch((e: unknown) => e);
  assert.equal(isNoResponders(noResponders), true);
  assert.equal(isBriefHubOutage(noResponders), true);

  // The JetStream client reports an API with no responders as "not enabled", the cause kept.
  const noApi = await jetstreamManager(nc, { apiPrefix: '$JS.NOBODY.API' }).catch((e: unknown) => e);
  assert.equal(isBriefHubOutage(noApi), true, 'JetStream API without responders');

  // While a reload rebuilds the account, the server answers that JetStream is not enabled for it
  // (API code 10039); the client wraps that answer in its own "not enabled" error.
  const reloading = nc.subscribe('$JS.RELOADING.API.>', {
    callback: (_err, m) => {
      m.respond(
        JSON.stringify({
          type: 'io.nats.jetstream.api.v1.account_info_response',
          error: { code: 503, err_code: 10039, description: 'jetstream not enabled for account' },
        }),
      );
    },
  });
  const notEnabled = await jetstreamManager(nc, { apiPrefix: '$JS.RELOADING.API' }).catch((e: unknown) => e);
  reloading.unsubscribe();
  assert.equal(isBriefHubOutage(notEnabled), true, 'JetStream not enabled for the account, for a moment');

  const sub = nc.subscribe('slow.service'); // subscribed, never answers
  const timedOut = await nc.request('slow.service', 'x', { timeout: 200 }).catch((e: unknown) => e);
  sub.unsubscribe();
  assert.equal(isBriefHubOutage(timedOut), true, 'request timeout');

  for (const other of [new Error('timeout'), new Error('Authorization Violation'), new TypeError('no responders')]) {
    assert.equal(isBriefHubOutage(other), false, `${other.message}: only typed errors count`);
  }
});
