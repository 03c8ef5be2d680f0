import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProviderBreaker, isBreakerRefusal, type BreakerState } from '../../../../shared/llm/breaker.ts';

const serverError = () => Object.assign(new Error('boom'), { status: 500 });
const badRequest = () => Object.assign(new Error('bad'), { status: 400 });

async function fail(b: ReturnType<typeof createProviderBreaker>, err: Error): Promise<unknown> {
  return b.execute(() => Promise.reject(err)).catch((e: unknown) => e);
}

test('opens after consecutive failures, refuses without calling, probes after the cooldown and closes on success', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const changes: BreakerState[] = [];
  const b = createProviderBreaker({ consecutiveFailures: 3, halfOpenAfterMs: 5_000, minimumRps: 1000 }, (_f, to) => changes.push(to));
  for (let i = 0; i < 3; i++) await fail(b, serverError());
  assert.equal(b.state(), 'open');

  let called = 0;
  const refused = await b.execute(async () => ++called).catch((e: unknown) => e);
  assert.ok(isBreakerRefusal(refused));
  assert.equal(called, 0);

  t.mock.timers.tick(5_001);
  assert.equal(await b.execute(async () => 'probe ok'), 'probe ok');
  assert.equal(b.state(), 'closed');
  assert.deepEqual(changes, ['open', 'half_open', 'closed']);
});

test('a failed half-open probe opens the circuit again', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const b = createProviderBreaker({ consecutiveFailures: 1, halfOpenAfterMs: 1_000, minimumRps: 1000 }, () => {});
  await fail(b, serverError());
  t.mock.timers.tick(1_001);
  await fail(b, serverError());
  assert.equal(b.state(), 'open');
});

test('requests arriving while the half-open probe is in flight are refused instead of queued behind it', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const b = createProviderBreaker({ consecutiveFailures: 1, halfOpenAfterMs: 1_000, minimumRps: 1000 }, () => {});
  await fail(b, serverError());
  t.mock.timers.tick(1_001);
  let release!: () => void;
  const probe = b.execute(() => new Promise<void>((r) => (release = r)));
  assert.equal(b.state(), 'half_open');
  assert.ok(isBreakerRefusal(await b.execute(async () => 'x').catch((e: unknown) => e)));
  release();
  await probe;
  assert.equal(b.state(), 'closed');
});

test('errors caused by the request do not count toward opening', async () => {
  const b = createProviderBreaker({ consecutiveFailures: 2, minimumRps: 1000 }, () => {});
  for (let i = 0; i < 5; i++) await fail(b, badRequest());
  assert.equal(b.state(), 'closed');
});

test('a failure recorded after the call returned (a stream breaking) counts toward opening', async () => {
  const b = createProviderBreaker({ consecutiveFailures: 2, minimumRps: 1000 }, () => {});
  b.recordFailure(new TypeError('terminated'));
  b.recordFailure(new TypeError('terminated'));
  await new Promise((r) => setImmediate(r));
  assert.equal(b.state(), 'open');
});
