// Egress, the only way out of the customer plane: what it writes to the local outbox for valid events —
// batches per kind, in order, signed by the tenant's key with a fresh seq, deduplicated by kid:seq — and
// when (batch full, timer, flush, close). The outbox is a JetStream stream; here the connection answers
// JetStream publishes itself, so the test sees exactly the subjects, payloads and headers egress sends.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { decodeProtectedHeader } from 'jose';
import { createEgress } from '../../../../customer-plane/egress/egress.ts';
import { newUlid } from '../../../../shared/ids.ts';
import { createLogger } from '../../../../shared/log.ts';
import { generateTenantKey, importTenantKey, verifyBatch } from '../../../../shared/signing.ts';
import { usageEvent } from '../../../support/usage-event.ts';

const TENANT = '0f8fad5b-d9cb-469f-a165-70867728950e';

type Sent = { subject: string; jws: string; msgId: string | undefined };

function fakeOutbox(opts: { fail?: () => boolean } = {}) {
  const sent: Sent[] = [];
  const nc = {
    request: async (subject: string, data: Uint8Array | string, ro: { headers?: MsgHdrs }) => {
      if (opts.fail?.()) throw new Error('outbox unavailable');
      sent.push({ subject, jws: typeof data === 'string' ? data : new TextDecoder().decode(data), msgId: ro.headers?.get('Nats-Msg-Id') });
      return { data: new TextEncoder().encode(JSON.stringify({ stream: 'AP_OUTBOX', seq: sent.length })) };
    },
    publish: () => assert.fail('egress publishes only through JetStream (acknowledged writes)'),
    getServer: () => 'fake',
    options: { inboxPrefix: '_INBOX' },
    info: { jetstream: true, version: '2.9.10' },
    features: { require: () => true, supports: () => true },
  } as unknown as NatsConnection;
  return { nc, sent };
}

async function setup(
  t: { after(fn: () => unknown): void },
  opts: { maxBatch?: number; flushIntervalMs?: number; fail?: () => boolean } = {},
) {
  const generated = await generateTenantKey();
  const key = await importTenantKey(generated.privateJwk);
  const outbox = fakeOutbox({ fail: opts.fail });
  let logs = '';
  const sink = new Writable({ write: (c, _e, cb) => void ((logs += c.toString()), cb()) });
  let seq = 40;
  const egress = createEgress({
    nc: outbox.nc,
    tenant: TENANT,
    key,
    seq: { next: () => ++seq },
    log: createLogger({ service: 'test', level: 'debug', destination: sink }),
    clock: () => 1_770_000_123_999,
    maxBatch: opts.maxBatch,
    flushIntervalMs: opts.flushIntervalMs ?? 3_600_000,
  });
  t.after(() => egress.close());
  const open = async (s: Sent) => (await verifyBatch(s.jws, generated.publicJwk)).payload as Record<string, any>;
  return { egress, sent: outbox.sent, open, key, logs: () => logs };
}

/**
 * A send is signed and published asynchronously; on a loaded machine that takes longer than any fixed
 * sleep. The timer here is an hour, so only the behaviour under test can make `cond` true.
 */
async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

const usage = (requests: number) => usageEvent({ requests });
const pattern = () => ({ eventId: newUlid(), fingerprint: 'c'.repeat(64), agent: 'fixer', outcome: 'accepted', occurrences: 1 });

test('valid events go to the outbox as one signed batch per kind: the tenant, a fresh seq, iat in seconds, the kind, the events in order, and kid:seq as the dedupe id', async (t) => {
  const { egress, sent, open, key } = await setup(t);
  assert.deepEqual(egress.emit('usage', usage(1)), { ok: true });
  assert.deepEqual(egress.emit('patterns', pattern()), { ok: true });
  assert.deepEqual(egress.emit('usage', usage(2)), { ok: true });
  assert.equal(sent.length, 0, 'nothing leaves before a flush');
  await egress.flush();
  assert.deepEqual(
    sent.map((s) => s.subject),
    ['ap.local.outbox.usage', 'ap.local.outbox.patterns'],
  );
  const [u, p] = [await open(sent[0]), await open(sent[1])];
  assert.deepEqual(
    { tenant: u.tenant, seq: u.seq, iat: u.iat, kind: u.kind, requests: u.events.map((e: any) => e.requests) },
    { tenant: TENANT, seq: 41, iat: 1_770_000_123, kind: 'usage', requests: [1, 2] },
  );
  assert.deepEqual({ seq: p.seq, kind: p.kind, n: p.events.length }, { seq: 42, kind: 'patterns', n: 1 });
  assert.deepEqual(
    sent.map((s) => s.msgId),
    [`${key.kid}:41`, `${key.kid}:42`],
  );
  assert.equal(decodeProtectedHeader(sent[0].jws).kid, key.kid);
  assert.deepEqual(egress.stats(), {
    accepted: { meta: 0, otel: 0, usage: 2, patterns: 1 },
    rejected: {},
    batches: { meta: 0, otel: 0, usage: 1, patterns: 1 },
  });
  await egress.flush();
  assert.equal(sent.length, 2, 'a flush with nothing pending sends nothing');
});

test('a full batch is sent at once, without waiting for the timer; larger backlogs are split at the batch size', async (t) => {
  const { egress, sent, open } = await setup(t, { maxBatch: 3 });
  egress.emit('usage', usage(1));
  egress.emit('usage', usage(2));
  await sleep(20);
  assert.equal(sent.length, 0, 'two of three: not yet');
  egress.emit('usage', usage(3));
  await until('the third event fills the batch', () => sent.length === 1);
  assert.deepEqual((await open(sent[0])).events.length, 3);
  for (let i = 4; i <= 10; i++) egress.emit('usage', usage(i));
  await egress.flush();
  const sizes = await Promise.all(sent.map(async (s) => (await open(s)).events.map((e: any) => e.requests)));
  assert.deepEqual(sizes, [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]]);
  assert.equal(egress.stats().batches.usage, 4);
});

test('the batch size defaults to 500 and never exceeds what the control plane accepts (1000)', async (t) => {
  const small = await setup(t);
  for (let i = 0; i < 499; i++) small.egress.emit('usage', usage(i));
  await sleep(20);
  assert.equal(small.sent.length, 0);
  small.egress.emit('usage', usage(499));
  await until('the 500th event fills the batch', () => small.sent.length === 1);
  assert.equal((await small.open(small.sent[0])).events.length, 500);

  const big = await setup(t, { maxBatch: 5000 });
  for (let i = 0; i < 1001; i++) big.egress.emit('usage', usage(i));
  await big.egress.flush();
  const sizes = await Promise.all(big.sent.map(async (s) => (await big.open(s)).events.length));
  assert.deepEqual(sizes, [1000, 1]);
});

test('pending events leave on the timer, and close() sends what is left and stops the timer', async (t) => {
  const { egress, sent } = await setup(t, { flushIntervalMs: 25 });
  egress.emit('usage', usage(1));
  await until('the timer flushed', () => sent.length === 1);
  egress.emit('usage', usage(2));
  await egress.close();
  assert.equal(sent.length, 2, 'close flushed');
  egress.emit('usage', usage(3));
  await sleep(150);
  assert.equal(sent.length, 2, 'no timer after close');
});

test('the flush timer defaults to 200 ms', async (t) => {
  const generated = await generateTenantKey();
  const outbox = fakeOutbox();
  const egress = createEgress({
    nc: outbox.nc,
    tenant: TENANT,
    key: await importTenantKey(generated.privateJwk),
    seq: { next: () => 1 },
    log: createLogger({ service: 'test', level: 'silent' }),
  });
  t.after(() => egress.close());
  egress.emit('usage', usage(1));
  await sleep(100);
  assert.equal(outbox.sent.length, 0);
  await sleep(400);
  assert.equal(outbox.sent.length, 1);
});

test('a failed write loses nothing: it is logged, the events stay pending, and the retry re-sends the same signed batch under the same dedupe id', async (t) => {
  let down = true;
  let attempts: string[] = [];
  const { egress, sent, open, logs } = await setup(t, {
    maxBatch: 2,
    fail: () => {
      attempts.push('try');
      return down;
    },
  });
  egress.emit('usage', usage(1));
  egress.emit('usage', usage(2)); // fills the batch: the automatic flush fails
  await until('the failed flush is logged', () => /egress flush failed/.test(logs()));
  assert.match(logs(), /outbox unavailable/);
  await assert.rejects(egress.flush(), /outbox unavailable/);
  assert.equal(attempts.length, 2, 'the flush retried the failed batch');
  egress.emit('usage', usage(3));
  down = false;
  attempts = [];
  await egress.flush();
  assert.equal(sent.length, 2);
  const batches = await Promise.all(sent.map(open));
  assert.deepEqual(
    batches.map((b) => b.events.map((e: any) => e.requests)),
    [[1, 2], [3]],
    'the failed batch was not lost, and what came after it follows it',
  );
  assert.deepEqual(
    batches.map((b) => b.seq),
    [41, 42],
    'one seq per signed batch: the retry did not sign again',
  );
  assert.equal(egress.stats().batches.usage, 2);
});

test('a timer flush that fails is logged, not thrown', async (t) => {
  let down = true;
  const { egress, sent, logs } = await setup(t, { flushIntervalMs: 20, fail: () => down });
  egress.emit('usage', usage(1));
  await until('the failed timer flush is logged', () => /egress flush failed/.test(logs()));
  assert.match(logs(), /outbox unavailable/, 'the log line carries the error');
  down = false;
  await until('the next timer flush sends it', () => sent.length === 1);
});

test('a rejection is counted by kind, field and rule and logged with those, never the value', async (t) => {
  const { egress, sent, logs } = await setup(t);
  const bad = { ...usage(1), provider: 'CANARY-provider' };
  const r = egress.emit('usage', bad);
  assert.deepEqual(r, { ok: false, rejection: { reason: 'boundary_violation', field: 'provider', issue: 'invalid_value' } });
  egress.emit('usage', bad);
  assert.deepEqual(egress.stats().rejected, { 'usage:provider:invalid_value': 2 });
  assert.deepEqual(egress.stats().accepted.usage, 0);
  const line = JSON.parse(logs().trim().split('\n')[0]);
  assert.deepEqual({ kind: line.kind, field: line.field, rule: line.rule }, { kind: 'usage', field: 'provider', rule: 'invalid_value' });
  assert.ok(!logs().includes('CANARY'));
  await egress.flush();
  assert.equal(sent.length, 0);
});

test('stats are a copy: changing them changes nothing inside egress', async (t) => {
  const { egress } = await setup(t);
  egress.emit('usage', usage(1));
  const s = egress.stats();
  s.accepted.usage = 99;
  assert.equal(egress.stats().accepted.usage, 1);
});

test('an open egress does not keep the process alive', () => {
  const module = fileURLToPath(new URL('../../../../customer-plane/egress/egress.ts', import.meta.url));
  const script = `import { createEgress } from ${JSON.stringify(module)};
    const nc = { options: { inboxPrefix: '_INBOX' }, info: { jetstream: true, version: '2.9.10' }, features: { require: () => true, supports: () => true } };
    createEgress({ nc, tenant: 't', key: {}, seq: { next: () => 1 }, log: {}, flushIntervalMs: 60000 });`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 });
  assert.equal(run.status, 0, String(run.stderr));
});
