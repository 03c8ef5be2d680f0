// The proxy's calls in flight at shutdown: drain lets them finish until the deadline, cuts (aborts) only the
// ones still open then, marks them as cut by the shutdown (so they are counted as cancelled, not as a caller
// who left), and waits for their counts before the counters are flushed. Time is Node's mock clock: no sleeps.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { createInflightCalls } from '../../../../control-plane/llm-proxy/inflight.ts';

/** Lets every promise that can settle now settle (the mock clock does not move meanwhile). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function mockClock(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  return async (ms: number) => {
    t.mock.timers.tick(ms);
    await settle();
  };
}

/** Tracks a drain without awaiting it, so the test can look at it while it waits. */
function watch<T>(p: Promise<T>) {
  const w: { done: boolean; value?: T } = { done: false };
  void p.then((v) => {
    w.done = true;
    w.value = v;
  });
  return w;
}

test('with no call in flight the drain is over at once', async (t) => {
  mockClock(t);
  const calls = createInflightCalls();
  const w = watch(calls.drain(60_000));
  await settle();
  assert.deepEqual(w, { done: true, value: { finished: 0, cut: 0 } });
});

test('calls that finish before the deadline are waited for and none is cut', async (t) => {
  const advance = mockClock(t);
  const calls = createInflightCalls();
  const aborts = [new AbortController(), new AbortController()];
  const [a, b] = aborts.map((c) => calls.begin(c));
  assert.equal(calls.size, 2);
  const w = watch(calls.drain(5000));
  await advance(1000);
  a.finished();
  await settle();
  assert.equal(w.done, false, 'one call is still open');
  await advance(1000);
  b.finished();
  await settle();
  assert.deepEqual(w, { done: true, value: { finished: 2, cut: 0 } });
  assert.equal(calls.size, 0);
  assert.deepEqual(
    aborts.map((c) => c.signal.aborted),
    [false, false],
  );
  assert.deepEqual([a.cutAtShutdown(), b.cutAtShutdown()], [false, false]);
});

test('at the deadline the calls still open are aborted, marked as cut by the shutdown, and their counts waited for', async (t) => {
  const advance = mockClock(t);
  const calls = createInflightCalls();
  const quick = new AbortController();
  const slow = new AbortController();
  const q = calls.begin(quick);
  const s = calls.begin(slow);
  const w = watch(calls.drain(3000));
  q.finished();
  await advance(2999);
  assert.equal(slow.signal.aborted, false, 'cut only at the deadline');
  assert.equal(s.cutAtShutdown(), false);
  await advance(1);
  assert.equal(slow.signal.aborted, true);
  assert.equal(s.cutAtShutdown(), true);
  assert.equal(q.cutAtShutdown(), false, 'a call that finished was not cut');
  assert.equal(quick.signal.aborted, false);
  assert.equal(w.done, false, 'the cut call has not been counted yet');
  s.finished(); // its provider attempt stopped and its usage was recorded
  await settle();
  assert.deepEqual(w, { done: true, value: { finished: 1, cut: 1 } });
});

test('a cut call that never settles holds the shutdown for at most 10 seconds more', async (t) => {
  const advance = mockClock(t);
  const calls = createInflightCalls();
  const stuck = calls.begin(new AbortController());
  const w = watch(calls.drain(1000));
  await advance(1000);
  assert.equal(stuck.cutAtShutdown(), true);
  await advance(9999);
  assert.equal(w.done, false);
  await advance(1);
  assert.deepEqual(w, { done: true, value: { finished: 0, cut: 1 } });
});

test('a call registered and finished leaves the set; finishing it twice changes nothing', async () => {
  const calls = createInflightCalls();
  const a = calls.begin(new AbortController());
  const b = calls.begin(new AbortController());
  a.finished();
  a.finished();
  assert.equal(calls.size, 1);
  b.finished();
  assert.equal(calls.size, 0);
});
