import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileChangeDiff } from '../../../../customer-plane/gate/preview.ts';

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'gate-preview-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const lines = (n: number, changed?: number) =>
  `${Array.from({ length: n }, (_, i) => (i + 1 === changed ? 'CHANGED' : `line ${i + 1}`)).join('\n')}\n`;

test('a write to a new file is shown as a creation: every line added, nothing removed', async (t) => {
  const dir = scratch(t);
  const diff = await fileChangeDiff('new.txt', join(dir, 'new.txt'), 'hello\n');
  assert.match(diff, /^--- \/dev\/null\n\+\+\+ b\/new\.txt\n@@ -0,0 \+1,1 @@\n\+hello\n$/m);
  assert.doesNotMatch(diff, /^-(?!--)/m, 'no removed line');
});

test('an overwrite shows the change with three lines of context, a delete shows every line removed', async (t) => {
  const dir = scratch(t);
  const abs = join(dir, 'src.txt');
  writeFileSync(abs, lines(20));
  const overwrite = await fileChangeDiff('src.txt', abs, lines(20, 10));
  assert.match(overwrite, /^--- a\/src\.txt\n\+\+\+ b\/src\.txt$/m);
  assert.match(overwrite, /^@@ -7,7 \+7,7 @@$/m, 'lines 7–13: the change at 10 and three on each side');
  assert.match(overwrite, /^-line 10\n\+CHANGED$/m);
  const deleted = await fileChangeDiff('src.txt', abs, null);
  assert.match(deleted, /^--- a\/src\.txt\n\+\+\+ \/dev\/null\n@@ -1,20 \+0,0 @@$/m);
});

test('a binary file is named with its size, not diffed, for an overwrite and a delete', async (t) => {
  const dir = scratch(t);
  const abs = join(dir, 'logo.png');
  writeFileSync(abs, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]));
  assert.equal(await fileChangeDiff('logo.png', abs, 'text'), 'overwrite logo.png: the current file is binary (7 bytes); no diff shown\n');
  assert.equal(await fileChangeDiff('logo.png', abs, null), 'delete logo.png: the current file is binary (7 bytes); no diff shown\n');
});

test('a file over 1 MiB is named with its size, not diffed; one of exactly 1 MiB is still diffed', async (t) => {
  const dir = scratch(t);
  const big = join(dir, 'big.log');
  const limit = 1024 * 1024;
  writeFileSync(big, `${'x'.repeat(limit)}\n`);
  assert.equal(
    await fileChangeDiff('big.log', big, null),
    `delete big.log: the current file is too large to diff (${limit + 1} bytes); no diff shown\n`,
  );
  const atLimit = join(dir, 'limit.log');
  writeFileSync(atLimit, `${'y'.repeat(limit - 1)}\n`);
  const diff = await fileChangeDiff('limit.log', atLimit, 'short\n');
  assert.ok(diff.includes(`--- a/limit.log\n+++ b/limit.log\n@@ -1,1 +1,1 @@\n-${'y'.repeat(limit - 1)}\n+short\n`), 'diffed');
});

test('previews close the files they read: many previews leave no descriptor open', async (t) => {
  const dir = scratch(t);
  const abs = join(dir, 'f.txt');
  writeFileSync(abs, 'a\n');
  const open = () => readdirSync('/proc/self/fd').length;
  const before = open();
  for (let i = 0; i < 200; i++) await fileChangeDiff('f.txt', abs, `b${i}\n`);
  assert.ok(open() - before < 5, `descriptors open before ${before}, after ${open()}`);
});
