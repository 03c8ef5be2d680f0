import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTwoFilesPatch } from 'diff';
import { MAX_DIFF_LINES, renderDiff } from '../../../../customer-plane/console/views/diff.ts';

test('a diff renders line by line with its kind as a class, every line as text', () => {
  const diff = createTwoFilesPatch('a/x<y>.ts', 'b/x<y>.ts', 'keep\nold <b>\n', 'keep\n<script>alert(1)</script>\n');
  const out = renderDiff(diff).toString();
  const rows = [...out.matchAll(/<span class="([a-z]+)">(.*?)<\/span>/g)].map((m) => [m[1], m[2]]);
  assert.deepEqual(rows, [
    ['meta', '==================================================================='],
    ['file', '--- a/x&lt;y&gt;.ts'],
    ['file', '+++ b/x&lt;y&gt;.ts'],
    ['hunk', '@@ -1,2 +1,2 @@'],
    ['ctx', ' keep'],
    ['del', '-old &lt;b&gt;'],
    ['add', '+&lt;script&gt;alert(1)&lt;/script&gt;'],
  ]);
  assert.doesNotMatch(out, /<script|<b>/);
});

test('a removed line that starts with "-- " inside a hunk is a deletion, not a file header', () => {
  const out = renderDiff('--- a/f\n+++ b/f\n@@ -1 +1 @@\n--- SELECT 1\n+++ SELECT 2\n').toString();
  assert.match(out, /<span class="del">--- SELECT 1<\/span>/);
  assert.match(out, /<span class="add">\+\+\+ SELECT 2<\/span>/);
});

test('a very long diff is cut, saying how much was left out', () => {
  const diff = `--- a/f\n+++ b/f\n@@ -1 +1 @@\n${'+x\n'.repeat(MAX_DIFF_LINES + 7)}`;
  const out = renderDiff(diff).toString();
  assert.equal(out.match(/<span /g)!.length, MAX_DIFF_LINES);
  assert.match(out, /10 more lines not shown/);
});
