import { test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { isRunLocked, RunLockLost, tryLockRun } from '../../../customer-plane/runner/ledger/lock.ts';
import { newUlid } from '../../../shared/ids.ts';
import { ledgerDatabase } from '../../support/ledger.ts';

/**
 * The run lock against a real Postgres, each runner process its own pool: one runner holds a run at a
 * time, the lock is free again when the holder releases it or its connection dies, and taking or
 * probing it never strands a connection of the pool.
 */

test('one runner holds a run at a time: a second runner is refused until the holder releases it, and other runs are not blocked', {
  timeout: 20000,
}, async (t) => {
  const { connect } = await ledgerDatabase(t);
  const runnerA = connect();
  const runnerB = connect();
  const run = newUlid();

  assert.equal(await isRunLocked(runnerB, run), false, 'a run nobody holds is free');
  const held = await tryLockRun(runnerA, run);
  assert.ok(held, 'the first runner takes the lock');
  assert.equal(await tryLockRun(runnerB, run), undefined, 'a second runner is refused');
  assert.equal(await tryLockRun(runnerA, run), undefined, 'so is another task of the same runner: each take is its own connection');
  assert.equal(await isRunLocked(runnerB, run), true, 'a live holder shows as locked');
  const otherRun = await tryLockRun(runnerB, newUlid());
  assert.ok(otherRun, 'another run is not blocked by it');

  await held.release();
  assert.equal(await isRunLocked(runnerB, run), false, 'released: free for the next runner');
  const next = await tryLockRun(runnerB, run);
  assert.ok(next, 'the next runner takes it');
  assert.equal(await isRunLocked(runnerA, run), true, 'and holds it: probing did not take it away');
  await next.release();
  await otherRun.release();
});

test('the lock dies with its holder’s connection: a runner killed while holding a run frees it for another, and a live holder hears it lost the lock instead of crashing', {
  timeout: 20000,
}, async (t) => {
  const { connect } = await ledgerDatabase(t);
  const dying = connect();
  const survivor = connect();
  const run = newUlid();
  const held = await tryLockRun(dying, run);
  assert.ok(held);
  assert.equal(await isRunLocked(survivor, run), true);
  // The process's connections closing is what kill -9 does to it (only this scratch database's backends).
  const { rows } = await survivor.query(
    `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  assert.equal(rows.length, 1, 'the run lock is one advisory lock');
  for (let i = 0; (await isRunLocked(survivor, run)) && i < 50; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(await isRunLocked(survivor, run), false, 'free while its holder never released it');
  // A holder that is still alive (its connection cut by a failover, not by its own death) is told, not ended:
  // an unheard error event on the connection would have ended this test's process.
  assert.ok(held.lost.aborted, 'the holder knows it lost the lock');
  assert.ok(held.lost.reason instanceof RunLockLost);
  assert.equal(held.lost.reason.code, 'run_lock_lost');
  assert.equal(held.lost.reason.retryable, true, 'the run goes back to the queue, it does not fail');
  await held.release(); // returns the dead connection, so the pool can end
  assert.equal(dying.totalCount, dying.idleCount, 'the dead connection is not kept checked out');
  assert.equal(held.lost.reason.message, "the run lock's database connection failed; the run goes back to the queue");
  assert.ok(held.lost.reason.cause instanceof Error, 'the connection’s own error is its cause, for the log line');
});

test('release frees the run at once, before the server has noticed the connection close: the next runner need not wait for it', {
  timeout: 20000,
}, async (t) => {
  const { connect } = await ledgerDatabase(t);
  const holder = connect();
  // Closing a connection frees its locks only once the server has seen the close; hold every close back
  // for a while so that only an explicit unlock can free the run in time.
  const connectNow = holder.connect.bind(holder) as () => Promise<pg.PoolClient>;
  (holder as { connect: () => Promise<pg.PoolClient> }).connect = async () => {
    const client = await connectNow();
    const release = client.release.bind(client);
    client.release = (destroy?: boolean | Error) => void setTimeout(() => release(destroy), 1500);
    return client;
  };
  const run = newUlid();
  const held = await tryLockRun(holder, run);
  assert.ok(held);
  await held.release();
  const next = await tryLockRun(connect(), run);
  assert.ok(next, 'the next runner takes the run as soon as release() returned');
  await next.release();
  await new Promise((r) => setTimeout(r, 1600)); // the held-back close, so the pool can end
});

test('taking, refusing, probing and releasing the lock return every connection to the pool, so a runner never runs out of them', {
  timeout: 20000,
}, async (t) => {
  const { connect } = await ledgerDatabase(t);
  const holder = connect();
  const run = newUlid();
  const held = await tryLockRun(holder, run);
  assert.ok(held);
  // A pool of two that would hang (and time out) if any refusal or probe kept its connection.
  const runner = connect({ max: 2, connectTimeoutMs: 2000 });
  for (let i = 0; i < 5; i++) {
    assert.equal(await tryLockRun(runner, run), undefined);
    assert.equal(await isRunLocked(runner, run), true);
  }
  await held.release();
  for (let i = 0; i < 5; i++) {
    const lock = await tryLockRun(runner, run);
    assert.ok(lock);
    await lock.release();
    assert.equal(await isRunLocked(runner, run), false);
  }
  // A lock that cannot be asked for (Postgres text holds no NUL) fails with the database's error, and frees its connection too.
  for (let i = 0; i < 3; i++) await assert.rejects(tryLockRun(runner, 'bad\u0000id'), /0x00|invalid byte sequence/);
  assert.equal(runner.totalCount, runner.idleCount, 'no connection left checked out');
});

test('the run lock keeps its own key space: an advisory lock another part of the plane takes on the same text does not block a run', {
  timeout: 20000,
}, async (t) => {
  const { connect } = await ledgerDatabase(t);
  const other = connect();
  const run = newUlid();
  const client = await other.connect();
  await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [run]);
  const lock = await tryLockRun(connect(), run);
  assert.ok(lock, 'a lock on the same text under another seed is a different lock');
  await lock.release();
  client.release(true);
});
