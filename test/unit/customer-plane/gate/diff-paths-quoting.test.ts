import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffTargets } from '../../../../customer-plane/gate/diff-paths.ts';
import { checkPath } from '../../../../customer-plane/workspace/paths.ts';

/** The names `git apply` reads from a patch (`--numstat -z`), or none where git refuses the patch. */
function gitReads(diff: string, reverse = false): string[] {
  const args = ['apply', '--numstat', '-z', ...(reverse ? ['--reverse'] : []), '-'];
  let out: string;
  try {
    out = execFileSync('git', args, { input: diff, cwd: tmpdir(), encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });
  } catch {
    return [];
  }
  return out.split('\0').flatMap((field) => {
    const name = field.replace(/^\d+\t\d+\t/, '');
    return name === '' ? [] : [name];
  });
}

const created = (plusPlus: string) => `--- /dev/null\n+++ ${plusPlus}\n@@ -0,0 +1 @@\n+n\n`;

test('every C escape git defines in a quoted name is decoded as git decodes it, so a control character reaches the path check', async (t) => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'diff-escapes-')));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  // Written out from C's escape table (git's quote.c follows it): \a BEL, \b BS, \f FF, \r CR, \v VT.
  const controls: [string, string][] = [
    ['\\a', '\x07'],
    ['\\b', '\x08'],
    ['\\f', '\x0c'],
    ['\\r', '\x0d'],
    ['\\v', '\x0b'],
  ];
  for (const [written, control] of controls) {
    const diff = created(`"b/x${written}y"`);
    const name = `x${control}y`;
    assert.deepEqual(gitReads(diff), [name], `${written}: git reads the control character (the oracle)`);
    assert.deepEqual(diffTargets(diff)?.paths, [name], `${written} is decoded`);
    const check = await checkPath(root, name);
    assert.equal(check.ok ? 'allowed' : check.reason, 'path_invalid', `${written}: the patch is refused`);
  }
  // A quote or backslash escaped inside a quoted name is part of the name, not its end or an escape.
  for (const [written, name] of [
    ['\\"', 'say"x'],
    ['\\\\', 'say\\x'],
  ]) {
    const diff = created(`"b/say${written}x"`);
    assert.deepEqual(gitReads(diff), [name], `${written}: the oracle`);
    assert.deepEqual(diffTargets(diff)?.paths, [name], `${written} is decoded`);
  }
});

test('a "diff --git" line names a file exactly when git reads one: a CR between the names, a name without a directory, a NUL, a quote inside a name', () => {
  const NUL = '\0';
  const spellings: [string, string[]][] = [
    // A CR between the names is a separator for git (its isspace), after a quoted or an unquoted first name.
    ['"a/x"\r"b/x"', ['x']],
    ['a/x\r"b/x"', ['x']],
    // A first or second quoted name without a leading directory gives git no name.
    ['"x" "b/x"', []],
    ['"x" x', []],
    ['"a/x" "x"', []],
    ['"a/x" "b/\\qx"', []],
    // The second (quoted) name must end before the first name's quote: these only look like a match from inside.
    ['a/"x b/"x', []],
    ['a/x" /x\\""', []],
    // A NUL ends a C string: git's quoted name stops being one, and its unquoted names stop matching.
    [`"a/x${NUL}" "b/x${NUL}"`, []],
    [`a/x b/x${NUL}y`, []],
    [`a/x${NUL}y b/x${NUL}y`, []],
    // git tries only the first space whose rest has a directory to strip: here the rest "/z b/x /z" has none.
    ['a/x /z b/x /z', []],
    // The separator is the space after the name's own trailing slash.
    ['a/x/ b/x/', ['x/']],
  ];
  for (const [names, expected] of spellings) {
    const diff = `diff --git ${names}\nnew file mode 100644\nindex 0000000..e69de29\n`;
    assert.deepEqual(gitReads(diff), expected, `${JSON.stringify(names)}: git reads (the oracle)`);
    assert.deepEqual(gitReads(diff, true), expected, `${JSON.stringify(names)}: git reads reversed (the oracle)`);
    assert.deepEqual(diffTargets(diff)?.paths ?? [], expected, JSON.stringify(names));
  }
});
