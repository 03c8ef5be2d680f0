import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffTargets } from '../../../../customer-plane/gate/diff-paths.ts';
import { checkPath } from '../../../../customer-plane/workspace/paths.ts';

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

/** The names `git apply` itself reads from a diff (`--numstat -z`: renames and copies give both ends). */
function gitReads(diff: string): string[] {
  const out = execFileSync('git', ['apply', '--numstat', '-z', '-'], { input: diff, cwd: tmpdir(), encoding: 'utf8' });
  return out.split('\0').flatMap((field) => {
    const name = field.replace(/^\d+\t\d+\t/, '');
    return name === '' ? [] : [name];
  });
}

/** diffTargets names exactly `paths`, and git apply reads no file outside them. */
function assertReadsLikeGit(diff: string, paths: string[], what: string) {
  const t = diffTargets(diff);
  assert.ok(t, `${what}: the diff has headers`);
  assert.deepEqual([...t.paths].sort(), [...paths].sort(), what);
  for (const name of gitReads(diff)) assert.ok(paths.includes(name), `${what}: git apply reads ${JSON.stringify(name)}`);
}

const context = (n: number) => Array.from({ length: n }, (_, i) => ` line ${i}`);

test('every header form names its file as git apply reads it: quoted (octal UTF-8), CRLF, a quote in the name, hunk-like text in the name', () => {
  const edit = (oldName: string, newName: string) => [`--- ${oldName}`, `+++ ${newName}`, '@@ -1 +1 @@', '-a', '+b', ''].join('\n');
  assertReadsLikeGit(edit('"a/caf\\303\\251.txt"', '"b/caf\\303\\251.txt"'), ['café.txt'], 'git quotes a UTF-8 name in octal');
  assertReadsLikeGit(edit('a/x', 'b/say"'), ['x', 'say"'], 'a name that only ends in a quote is not quoted');
  // git unquotes from the patch buffer, not the line: an unterminated quote runs on to the next quote. git
  // uses a diff -u patch's --- name only as a default; read anyway, its newline has the patch refused.
  const unterminated = edit('"a/x', '"b/x');
  assert.deepEqual(gitReads(unterminated), ['x'], 'git reads the +++ name as written');
  assert.deepEqual(diffTargets(unterminated)?.paths.sort(), ['x', 'x\n+++ '], 'a quote left open runs on to the next');
  assertReadsLikeGit(edit('a/x\r', 'b/x\r').replaceAll('\n', '\r\n'), ['x'], 'CRLF line ends are not part of the name');
  assertReadsLikeGit(edit('a/x', '"'), ['x', '"'], 'a lone quote is a name, not an empty quoted one');
  assertReadsLikeGit(edit('"a/\\qx"', '"b/\\qx"'), ['\\qx"'], 'an escape git does not define: git takes the name as written');
  // git reads `""` as an empty name (and cannot apply it); the path check refuses an empty path.
  assert.deepEqual(diffTargets(edit('a/x', '""'))?.paths.sort(), ['', 'x'], 'an empty quoted name is empty');
  assertReadsLikeGit(
    ['--- /dev/null', '+++ b/notes @@ -0,0 +0,0 @@', '@@ -0,0 +1 @@', '+n', ''].join('\n'),
    ['notes @@ -0,0 +0,0 @@'],
    'a header whose name contains hunk-like text is still a header',
  );
});

test('lines inside a hunk are content however the hunk header is written: a removed "-- x" or added "++ y" is not a header', () => {
  const file = (...hunk: string[]) => ['--- a/q.sql', '+++ b/q.sql', ...hunk, ''].join('\n');
  const cases: [string, string[]][] = [
    ['multi-digit starts', ['@@ -10,2 +10,2 @@', ' ctx', '--- dropped', '+++ added']],
    ['multi-digit counts', ['@@ -1,11 +1,11 @@', ...context(10), '--- dropped', '+++ added']],
    ['old count omitted', ['@@ -1 +1,2 @@', '--- dropped', '+++ one', '+++ two']],
    ['new count omitted', ['@@ -1,2 +1 @@', '--- one', '--- two', '+++ kept']],
    ['a pure deletion', ['@@ -1,2 +0,0 @@', '--- one', '--- two']],
    ['a one-line deletion', ['@@ -1 +0,0 @@', '--- one']],
    ['a pure addition', ['@@ -0,0 +1,2 @@', '+++ one', '+++ two']],
    ['a one-line addition', ['@@ -0,0 +1 @@', '+++ one']],
    ['a change, context, then a removal', ['@@ -1,3 +1,2 @@', '-a', '+b', ' c', '--- d']],
    ['an added line after a missing newline marker', ['@@ -1 +1 @@', '-a', '\\ No newline at end of file', '+++ b']],
  ];
  for (const [what, hunk] of cases) assertReadsLikeGit(file(...hunk), ['q.sql'], what);
});

test('a file that follows another file’s hunk is checked: a diff -u patch cannot hide a deletion outside behind an edit', () => {
  const diff = [
    '--- a/one.txt',
    '+++ b/one.txt',
    '@@ -1,2 +1,2 @@',
    '-a',
    '+b',
    ' unchanged',
    '--- a/../victim.txt',
    '+++ /dev/null',
    '@@ -1 +0,0 @@',
    '-gone',
    '',
  ].join('\n');
  assertReadsLikeGit(diff, ['one.txt', '../victim.txt'], 'the second file is a header, not the first hunk’s tail');
  assert.equal(diffTargets(diff)?.deletes, true);
});

test('rename and copy headers name both ends, with git’s quoting, also when the file is edited too', () => {
  const renameAndEdit = [
    'diff --git a/old.ts b/new.ts',
    'similarity index 80%',
    'rename from old.ts',
    'rename to new.ts',
    'index 1111111..2222222 100644',
    '--- a/old.ts',
    '+++ b/new.ts',
    '@@ -1 +1 @@',
    '-a',
    '+b',
    '',
  ].join('\n');
  assertReadsLikeGit(renameAndEdit, ['old.ts', 'new.ts'], 'a rename with an edit');
  const copy = ['diff --git a/x b/y', 'similarity index 100%', 'copy from "caf\\303\\251"', 'copy to "tab\\there"', ''].join('\n');
  assertReadsLikeGit(copy, ['café', 'tab\there'], 'a copy between quoted names');
});

test('text before the first header (a format-patch message that mentions a rename) names no file', () => {
  const diff = [
    'From 0123456789abcdef Mon Sep 17 00:00:00 2001',
    'Subject: [PATCH] follow the rename to src/new.ts and copy from the old API',
    '',
    '---',
    ' x | 2 +-',
    '',
    'diff --git a/x b/x',
    '--- a/x',
    '+++ b/x',
    '@@ -1 +1 @@',
    '-a',
    '+b',
    '',
  ].join('\n');
  assertReadsLikeGit(diff, ['x'], 'only the diff names files');
});

test('a deletion is flagged whichever header says so; a new file is not a deletion', () => {
  const unifiedDelete = ['--- a/gone.txt', '+++ /dev/null', '@@ -1 +0,0 @@', '-bye', ''].join('\n');
  assert.deepEqual(diffTargets(unifiedDelete), { paths: ['gone.txt'], deletes: true }, '+++ /dev/null alone (diff -u)');
  const created = ['--- /dev/null', '+++ b/new.txt', '@@ -0,0 +1 @@', '+hi', ''].join('\n');
  assert.deepEqual(diffTargets(created), { paths: ['new.txt'], deletes: false }, '--- /dev/null is a creation');
  // git deletes an empty file with no ---/+++ lines: only "deleted file mode" says so.
  const emptyDeletedAlongAnEdit = [
    'diff --git a/empty.txt b/empty.txt',
    'deleted file mode 100644',
    'index e69de29..0000000',
    'diff --git a/x b/x',
    '--- a/x',
    '+++ b/x',
    '@@ -1 +1 @@',
    '-a',
    '+b',
    '',
  ].join('\n');
  assert.equal(diffTargets(emptyDeletedAlongAnEdit)?.deletes, true, 'deleted file mode');
});

test('an absolute header path stays absolute, so the path check refuses it (git apply -p1 would quietly write it inside)', () => {
  const diff = ['--- /etc/passwd', '+++ /etc/passwd', '@@ -1 +1 @@', '-root', '+evil', ''].join('\n');
  assert.deepEqual(diffTargets(diff)?.paths, ['/etc/passwd']);
});

test('a hunk whose counts run past the end of the diff (a miscounted hand-written patch) still yields its files', () => {
  const diff = ['--- a/x', '+++ b/x', '@@ -1,5 +1,5 @@', '-a', '+b'].join('\n');
  assert.deepEqual(diffTargets(diff), { paths: ['x'], deletes: false });
});

test('each header form naming a path outside the workspace or into .git is refused by the path check', async (t) => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'diff-paths-')));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const forms: [string, string][] = [
    ['--- header', '--- a/../outside.txt\n+++ b/inside.txt\n@@ -1 +1 @@\n-a\n+b\n'],
    ['+++ header', '--- a/inside.txt\n+++ b/.git/hooks/pre-commit\n@@ -1 +1 @@\n-a\n+b\n'],
    ['quoted +++ header hiding .git in octal', '--- a/inside.txt\n+++ "b/\\056git/config"\n@@ -1 +1 @@\n-a\n+b\n'],
    ['rename from', 'diff --git a/x b/y\nrename from ../../etc/passwd\nrename to inside.txt\n'],
    ['rename to', 'diff --git a/x b/y\nrename from inside.txt\nrename to .git/hooks/post-checkout\n'],
    ['copy from', 'diff --git a/x b/y\ncopy from /etc/shadow\ncopy to inside.txt\n'],
    ['copy to', 'diff --git a/x b/y\ncopy from inside.txt\ncopy to ../copied.txt\n'],
  ];
  for (const [form, diff] of forms) {
    const checks = await Promise.all(diffTargets(diff)!.paths.map((p) => checkPath(root, p)));
    const refused = checks.filter((c) => !c.ok);
    assert.equal(refused.length, 1, `${form}: exactly the bad path is refused`);
    assert.match(refused[0].ok ? '' : refused[0].reason, /^path_(invalid|outside_workspace)$/, form);
  }
});

test('a file named only on its "diff --git" line (an empty file created or deleted, a mode change) is checked too', async (t) => {
  const edit = '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n';
  // An empty new file has no ---/+++ lines: git apply still creates it, under the name on this line.
  const cleared = 'diff --git "a/\\033[2Jcleared" "b/\\033[2Jcleared"\nnew file mode 100644\nindex 0000000..e69de29\n';
  assertReadsLikeGit(`${cleared}diff --git a/x b/x\n${edit}`, ['\x1b[2Jcleared', 'x'], 'quoted empty new file beside an edit');
  assertReadsLikeGit(
    'diff --git a/my file b/my file\nold mode 100644\nnew mode 100755\n',
    ['my file'],
    'mode change of a name with a space',
  );
  assertReadsLikeGit(
    'diff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\nindex e69de29..0000000\n',
    ['gone.txt'],
    'empty file deleted',
  );
  // Differing names are a rename: git takes the names from the rename lines (read on their own), not from here.
  assert.deepEqual(diffTargets('diff --git a/x b/y\nrename from x\nrename to y\n')?.paths, ['x', 'y']);

  const root = realpathSync(mkdtempSync(join(tmpdir(), 'diff-git-line-')));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const [diff, reason] of [
    [`${cleared}${edit}`, 'path_invalid'],
    ['diff --git a/../up.txt b/../up.txt\nnew file mode 100644\n', 'path_outside_workspace'],
    ['diff --git a/.git/hooks/pre-push b/.git/hooks/pre-push\nold mode 100644\nnew mode 100755\n', 'path_outside_workspace'],
  ] as const) {
    const checks = await Promise.all(diffTargets(diff)!.paths.map((p) => checkPath(root, p)));
    assert.deepEqual(
      checks.filter((c) => !c.ok).map((c) => (c.ok ? '' : c.reason)),
      [reason],
      diff,
    );
  }
});

test('every name git apply reads is checked however its header is spelled: a tab between the names, extra spaces, text after a closing quote, a tab inside quotes', async (t) => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'diff-spelled-')));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const esc = '\x1b[2J';
  const edit = 'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n';
  const created = (header: string) => `${header}\nnew file mode 100644\nindex 0000000..e69de29\n${edit}`;
  const forms: [string, string, string][] = [
    ['a tab between unquoted names', created(`diff --git a/${esc}\tb/${esc}`), esc],
    ['two spaces after a quoted name', created('diff --git "a/\\033[2J"  "b/\\033[2J"'), esc],
    ['a tab after a quoted name', created('diff --git "a/\\033[2J"\t"b/\\033[2J"'), esc],
    ['text after the second quoted name', created('diff --git "a/\\033[2J" "b/\\033[2J"junk'), esc],
    ['an unquoted name then text, then the quoted name', created(`diff --git a/${esc} junk"b/\\033[2J"`), esc],
    ['text after a quoted +++ name', `--- /dev/null\n+++ "b/\\033[2J"junk\n@@ -0,0 +1 @@\n+n\n${edit}`, esc],
    ['a space and text after a quoted +++ name', `--- /dev/null\n+++ "b/\\033[2J" junk\n@@ -0,0 +1 @@\n+n\n${edit}`, esc],
    ['a raw tab inside a quoted +++ name', `--- /dev/null\n+++ "b/tab\there"\n@@ -0,0 +1 @@\n+n\n${edit}`, 'tab\there'],
    // git unquotes from the patch buffer: a quoted name runs on, across lines, to its closing quote.
    ['a quoted +++ name closed lines later', `--- /dev/null\n+++ "b/x\n@@ -0,0 +1 @@\n+"\n${edit}`, 'x\n@@ -0,0 +1 @@\n+'],
    ['text after a quoted rename target', `diff --git a/x b/y\nrename from x\nrename to "\\033[2J"junk\n${edit}`, esc],
  ];
  for (const [form, diff, dangerous] of forms) {
    assert.ok(gitReads(diff).includes(dangerous), `${form}: git apply reads ${JSON.stringify(dangerous)} (the oracle)`);
    const paths = diffTargets(diff)?.paths ?? [];
    for (const name of gitReads(diff)) assert.ok(paths.includes(name), `${form}: ${JSON.stringify(name)} is checked`);
    const checks = await Promise.all(paths.map((p) => checkPath(root, p)));
    assert.ok(
      checks.some((c) => !c.ok && c.reason === 'path_invalid'),
      `${form}: the patch is refused`,
    );
  }
});

test('a "diff --git" line names exactly the file git apply creates from it, for every spelling of its two names', () => {
  /** The names git apply reads from a patch, or none where it refuses the patch. */
  const gitCreates = (diff: string) => {
    try {
      return gitReads(diff);
    } catch {
      return [];
    }
  };
  const spellings = [
    ...['a/x b/x', 'a/x\tb/x', ' a/x b/x', 'a/x  b/x', 'a/my file b/my file', 'a/my filexb/my file', 'a/b c/b c/b c'],
    ...['a/x b/y', 'x x', '/x /x', 'a/ b/', 'a/x b/x ', 'a/x b/x\r', 'a/dir/ b/dir/ b/dir/'],
    ...['"a/x" "b/x"', '"a/x"  "b/x"', '"a/x"\t"b/x"', '"a/x""b/x"', '"a/x" "b/x"junk', '"a/x" "b/y"', '"x" "x"'],
    ...['"a/x" b/x', '"a/x\\n" b/x', '"a/x"\r', '"a/x" \n"b/x"', '"a/x', '"a/x "b/x', '" "', '"" ""'],
    ...['"a/\\qx" "b/\\qx"', '"a/\\477" "b/\\477"', '"a/\\101" "b/A"', '"/x" "/x"', '"a/e\\000p" "b/e\\000q"'],
    ...['a/x "b/x"', 'a/x junk"b/x"', 'a/x"b/x"', 'a/x "b/y"', 'a/x y "b/x y"', 'a/x\t"b/x"', 'a/x "b/x', 'a/x "b/\\qx"'],
    ...['a/x "/x"', 'a/x ""', 'a/é "b/\\303\\251"', 'a/é b/é'],
  ];
  for (const names of spellings) {
    const diff = `diff --git ${names}\nnew file mode 100644\nindex 0000000..e69de29\n`;
    // git also reads an empty name ("a/ b/") and then refuses the patch; the path check refuses it too.
    const named = diffTargets(diff)?.paths.filter((p) => p !== '');
    assert.deepEqual(named, gitCreates(diff), JSON.stringify(names));
  }
});

test('a rename beside a mode change is a patch with headers: both files are named, not refused as headerless', () => {
  const diff = [
    ...['diff --git a/old.ts b/new.ts', 'similarity index 100%', 'rename from old.ts', 'rename to new.ts'],
    ...['diff --git a/run.sh b/run.sh', 'old mode 100644', 'new mode 100755', ''],
  ].join('\n');
  assertReadsLikeGit(diff, ['old.ts', 'new.ts', 'run.sh'], 'a rename and a mode change');
});
