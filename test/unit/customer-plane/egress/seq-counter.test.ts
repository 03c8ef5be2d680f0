// The batch sequence counter: the control plane refuses a reused seq (replayed_seq), so every number the
// customer plane hands out must be above every number any earlier run of it handed out — after a clean
// stop, and after a crash that never got to write anything more.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createSeqCounter } from '../../../../customer-plane/egress/seq-counter.ts';

function stateDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ap-seq-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const take = (counter: { next(): number }, n: number) => Array.from({ length: n }, () => counter.next());

test('a fresh counter hands out 1, 2, 3, … one by one', (t) => {
  const counter = createSeqCounter(join(stateDir(t), 'egress.seq'));
  assert.deepEqual(take(counter, 5), [1, 2, 3, 4, 5]);
});

test('after each customer-plane restart the numbers go on above every number handed out before, whatever point of a block it stopped at', (t) => {
  const file = join(stateDir(t), 'egress.seq');
  const seen: number[] = [];
  // Runs that stop before, at, and past the end of a reserved block, and one that hands out nothing.
  for (const used of [2, 4, 5, 0, 9, 1, 4]) {
    const counter = createSeqCounter(file, 4);
    const got = take(counter, used);
    for (const n of got) assert.ok(n > Math.max(0, ...seen), `seq ${n} after ${seen.at(-1)}: reused or went back`);
    for (let i = 1; i < got.length; i++) assert.equal(got[i], got[i - 1] + 1, 'within a run, numbers are consecutive');
    seen.push(...got);
  }
  assert.equal(new Set(seen).size, seen.length);
  assert.equal(seen.length, 25);
});

test('a restart resumes past the reserved block: numbers may be skipped, never reused', (t) => {
  const file = join(stateDir(t), 'egress.seq');
  const first = createSeqCounter(file, 10);
  assert.deepEqual(take(first, 3), [1, 2, 3]);
  // The process dies here (kill -9): nothing more is written. The next start begins after the block.
  const second = createSeqCounter(file, 10);
  assert.deepEqual(take(second, 2), [11, 12]);
  // A counter started on the same file while the old one still runs cannot know the old one's
  // numbers; what matters is that the file always names a number above every one handed out.
  assert.deepEqual(take(first, 9), [4, 5, 6, 7, 8, 9, 10, 11, 12]);
});

test('the block is on disk before any of its numbers is used, and the file is readable only by its owner', (t) => {
  const file = join(stateDir(t), 'egress.seq');
  const counter = createSeqCounter(file, 3);
  for (let i = 0; i < 7; i++) {
    const n = counter.next();
    const reserved = Number(readFileSync(file, 'utf8'));
    assert.ok(reserved > n, `seq ${n} handed out while the file reserved only up to ${reserved}`);
    assert.ok(reserved <= n + 3, 'one block at a time');
  }
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(readFileSync(file, 'utf8'), '10', 'the file holds the next number a restart may use, and nothing else');
});

test('reserving blocks leaks no file descriptors (a long-running plane reserves thousands)', (t) => {
  const counter = createSeqCounter(join(stateDir(t), 'egress.seq'), 1);
  const open = () => readdirSync('/proc/self/fd').length;
  const before = open();
  take(counter, 200);
  assert.ok(open() - before < 5, `${open() - before} descriptors left open by 200 reservations`);
});

test('the default block is 1000 numbers', (t) => {
  const file = join(stateDir(t), 'egress.seq');
  createSeqCounter(file).next();
  assert.equal(readFileSync(file, 'utf8'), '1001');
});

test('a counter that finds a valid file starts at the number it names', (t) => {
  const file = join(stateDir(t), 'egress.seq');
  writeFileSync(file, ' 42\n');
  assert.equal(createSeqCounter(file).next(), 42);
  writeFileSync(file, '1');
  assert.equal(createSeqCounter(file).next(), 1);
});

test('a corrupt sequence file stops the start instead of restarting at 1 (which would reuse numbers)', (t) => {
  const dir = stateDir(t);
  const file = join(dir, 'egress.seq');
  for (const content of ['', 'abc', '0', '-5', '1.5', '9007199254740993', '12abc']) {
    writeFileSync(file, content);
    assert.throws(
      () => createSeqCounter(file),
      (err: Error) => err.message.includes(file) && /corrupt/.test(err.message),
      `content ${JSON.stringify(content)}`,
    );
  }
  // A sequence file that cannot be read at all is not taken for a missing one either.
  const unreadable = join(dir, 'a-directory');
  mkdirSync(unreadable);
  assert.throws(
    () => createSeqCounter(unreadable),
    (err: NodeJS.ErrnoException) => err.code === 'EISDIR',
  );
});
