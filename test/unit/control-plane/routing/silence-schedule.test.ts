// When the silence sweep runs, on the mock clock with a fake database: every quarter of the timeout,
// but no more often than every second and no less than every 30 s; never two sweeps at once; a sweep
// that fails (Postgres down) tried again at the next tick; stop waits for the sweep under way. The
// sweep's own rule (which workflows it fails) is tested against Postgres in
// test/integration/routing/silence.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import type { Db } from '../../../../control-plane/db/pool.ts';
import { startSilenceSweeper } from '../../../../control-plane/routing/silence.ts';
import { silentLogger } from '../../../../shared/log.ts';

/** A database whose every query waits until the test settles it. */
function fakeDb() {
  const pending: Array<{ resolve(v: unknown): void; reject(e: unknown): void }> = [];
  const params: unknown[][] = [];
  const db = {
    query(_sql: string, p: unknown[]) {
      params.push(p);
      return new Promise((resolve, reject) => pending.push({ resolve, reject }));
    },
  } as unknown as Db;
  return {
    db,
    params,
    get queries() {
      return params.length;
    },
    answer(rows: unknown[] = []) {
      pending.shift()?.resolve({ rows });
    },
    fail() {
      pending.shift()?.reject(new Error('connection refused'));
    },
  };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

function sweeper(t: TestContext, timeoutMs: number, everyMs?: number) {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const fake = fakeDb();
  const s = startSilenceSweeper({ db: fake.db, log: silentLogger(), timeoutMs, everyMs });
  return { fake, s };
}

for (const [timeoutMs, everyMs] of [
  [10_000, 2_500],
  [10_003, 2_500], // a quarter rounded down
  [2_000, 1_000], // never more often than every second
  [200_000, 30_000], // never less often than every 30 s
] as const) {
  test(`with a ${timeoutMs} ms timeout the sweep runs every ${everyMs} ms`, async (t) => {
    const { fake, s } = sweeper(t, timeoutMs);
    t.mock.timers.tick(everyMs - 1);
    assert.equal(fake.queries, 0, 'not before its interval');
    t.mock.timers.tick(1);
    assert.equal(fake.queries, 1);
    assert.deepEqual(fake.params[0], ['customer_plane_silent', timeoutMs]);
    fake.answer();
    await flush();
    t.mock.timers.tick(everyMs);
    assert.equal(fake.queries, 2, 'and again one interval later');
    fake.answer();
    await s.stop();
  });
}

test('an interval given explicitly is used as it is', async (t) => {
  const { fake, s } = sweeper(t, 200_000, 700);
  t.mock.timers.tick(699);
  assert.equal(fake.queries, 0);
  t.mock.timers.tick(1);
  assert.equal(fake.queries, 1);
  fake.answer();
  await s.stop();
});

test('a sweep still under way is not started again at the next tick', async (t) => {
  const { fake, s } = sweeper(t, 10_000);
  t.mock.timers.tick(2_500);
  t.mock.timers.tick(2_500);
  t.mock.timers.tick(2_500);
  assert.equal(fake.queries, 1);
  fake.answer();
  await flush();
  t.mock.timers.tick(2_500);
  assert.equal(fake.queries, 2, 'the next tick after it ended sweeps');
  fake.answer();
  await s.stop();
});

test('a sweep that fails is tried again at the next tick, and the failure does not escape', async (t) => {
  const { fake, s } = sweeper(t, 10_000);
  t.mock.timers.tick(2_500);
  fake.fail();
  await flush();
  t.mock.timers.tick(2_500);
  assert.equal(fake.queries, 2);
  fake.answer();
  await s.stop();
});

test('stop waits for the sweep under way and no sweep starts after it', async (t) => {
  const { fake, s } = sweeper(t, 10_000);
  t.mock.timers.tick(2_500);
  let stopped = false;
  const stopping = s.stop().then(() => {
    stopped = true;
  });
  await flush();
  assert.equal(stopped, false, 'the sweep is still under way');
  fake.answer();
  await stopping;
  t.mock.timers.tick(10_000);
  assert.equal(fake.queries, 1);
});

test('a sweeper that is never stopped does not keep the process alive', () => {
  // A control plane exiting without stop() (a failed start) must not hang on the sweeper's timer.
  const script = `
    const { startSilenceSweeper } = await import(${JSON.stringify(new URL('../../../../control-plane/routing/silence.ts', import.meta.url).href)});
    startSilenceSweeper({ db: { query: async () => ({ rows: [] }) }, log: { warn() {} }, timeoutMs: 4000 });
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000, encoding: 'utf8' });
  assert.equal(r.error, undefined, 'the process exited by itself');
  assert.equal(r.status, 0, r.stderr);
});
