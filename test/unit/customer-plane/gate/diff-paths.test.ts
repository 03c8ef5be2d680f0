import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffTargets } from '../../../../customer-plane/gate/diff-paths.ts';

test('the files a diff touches are read as git apply reads them, including quoted names, renames and deletions', () => {
  const diff = [
    'diff --git a/src/a.ts b/src/a.ts',
    'index 1..2 100644',
    '--- a/src/a.ts',
    '+++ b/src/a.ts',
    '@@ -1,2 +1,2 @@',
    // A removed SQL comment reads "--- x" inside the hunk: it is content, not a header.
    '--- /etc/passwd is not a header here',
    '+-- replaced comment',
    ' unchanged',
    'diff --git "a/odd\\tname.txt" "b/odd\\tname.txt"',
    '--- "a/odd\\tname.txt"',
    '+++ "b/odd\\tname.txt"',
    '@@ -1 +1 @@',
    '-x',
    '+y',
    'diff --git a/old.ts b/new.ts',
    'rename from old.ts',
    'rename to new.ts',
    'diff --git a/gone.ts b/gone.ts',
    'deleted file mode 100644',
    '--- a/gone.ts',
    '+++ /dev/null',
    '@@ -1 +0,0 @@',
    '-bye',
  ].join('\n');
  const t = diffTargets(diff)!;
  assert.deepEqual(t.paths.sort(), ['gone.ts', 'new.ts', 'odd\tname.txt', 'old.ts', 'src/a.ts']);
  assert.equal(t.deletes, true);
  assert.equal(diffTargets('@@ -1 +1 @@\n-a\n+b\n'), undefined, 'no headers: not a diff the gate can check');
  assert.deepEqual(diffTargets('--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n'), { paths: ['x'], deletes: false });
});
