import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cachedPassword, newClient, PASSWORD_CACHE_MS, sharedCache } from '../../../../shared/db/password.ts';

/** A store whose reads are counted and released by hand, with a clock the test moves. */
function store() {
  let value = 'first-password';
  let reads = 0;
  let fail: Error | undefined;
  const pending: Array<() => void> = [];
  let manual = false;
  const read = () => {
    reads++;
    const v = value;
    const f = fail;
    const settle = (resolve: (s: string) => void, reject: (e: Error) => void) => (f ? reject(f) : resolve(v));
    return new Promise<string>((resolve, reject) => (manual ? pending.push(() => settle(resolve, reject)) : settle(resolve, reject)));
  };
  return {
    read,
    reads: () => reads,
    set: (v: string) => (value = v),
    failWith: (e: Error | undefined) => (fail = e),
    hold: () => (manual = true),
    release: () => {
      manual = false;
      for (const p of pending.splice(0)) p();
    },
  };
}

test('a burst of connects shares one read, even while that read is under way', async () => {
  const s = store();
  const password = cachedPassword(s.read, { now: () => 0 });
  s.hold();
  const burst = [password(), password(), password()];
  s.release();
  assert.deepEqual(await Promise.all(burst), ['first-password', 'first-password', 'first-password']);
  assert.equal(await password(), 'first-password');
  assert.equal(s.reads(), 1);
});

test('a value is kept for PASSWORD_CACHE_MS (5 minutes) and read again after', async () => {
  assert.equal(PASSWORD_CACHE_MS, 300_000);
  const s = store();
  let now = 1_000_000;
  const password = cachedPassword(s.read, { now: () => now });
  assert.equal(await password(), 'first-password');
  s.set('rotated-password');
  now += PASSWORD_CACHE_MS - 1;
  assert.equal(await password(), 'first-password', 'kept just under the bound');
  now += 1;
  assert.equal(await password(), 'rotated-password', 'read again at the bound');
  assert.equal(s.reads(), 2);
});

test('drop() makes the next connect read the store (after the server refused the value)', async () => {
  const s = store();
  const password = cachedPassword(s.read, { now: () => 0 });
  assert.equal(await password(), 'first-password');
  s.set('rotated-password');
  password.drop();
  assert.equal(await password(), 'rotated-password');
  assert.equal(await password(), 'rotated-password');
  assert.equal(s.reads(), 2);
});

test('a failed read is not kept: the next connect tries the store again', async () => {
  const s = store();
  const password = cachedPassword(s.read, { now: () => 0 });
  s.failWith(new Error('store down'));
  await assert.rejects(password(), /store down/);
  s.failWith(undefined);
  assert.equal(await password(), 'first-password');
  assert.equal(s.reads(), 2);
});

test("a client made with a password source reads it at login, not the URL's (empty) password", () => {
  const source = async () => 'from-the-source';
  const withSource = newClient({ connectionString: 'postgres://runner@db.internal:5432/agentplane' }, source);
  assert.equal(withSource.password as unknown, source);
  assert.ok(!Object.keys(withSource).includes('password'), 'not enumerable: not in an inspection or a log');
  const plain = newClient({ connectionString: 'postgres://runner:in-url@db.internal:5432/agentplane' });
  assert.equal(plain.password, 'in-url', 'without a source, the URL as given');
});

test('an older read that fails after a newer one began does not throw the newer value away', async () => {
  const s = store();
  let now = 0;
  const password = cachedPassword(s.read, { now: () => now });
  s.hold();
  s.failWith(new Error('store down'));
  const old = password();
  now += PASSWORD_CACHE_MS; // the first read is past its time before it ends: the next connect reads again
  s.failWith(undefined);
  const fresh = password();
  s.release();
  await assert.rejects(old, /store down/);
  assert.equal(await fresh, 'first-password');
  assert.equal(await password(), 'first-password');
  assert.equal(s.reads(), 2, 'the newer value is kept');
});

test('a cache given where one is made is used as it is: its users share one read and one drop()', async () => {
  const s = store();
  const password = cachedPassword(s.read, { now: () => 0 });
  assert.equal(sharedCache(password), password);
  await password();
  await sharedCache(password)();
  assert.equal(s.reads(), 1);
  assert.notEqual(sharedCache(s.read), s.read as unknown, 'a plain source gets a cache');
});
