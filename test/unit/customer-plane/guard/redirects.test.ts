import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCommandGuard } from '../../../../customer-plane/guard/guard.ts';
import type { GuardVerdict } from '../../../../customer-plane/guard/types.ts';
import { codingAgentPolicy } from '../../../support/command-corpus.ts';

// The detail of a refusal is what the gate shows the agent ("the command guard refused it: …"), so it
// must name the redirection or path at fault for the agent to correct its command.

const guard = await createCommandGuard();
const check = (command: string) => guard.check(command, codingAgentPolicy);
function resolved(v: GuardVerdict) {
  assert.ok(v.ok, v.ok ? '' : `${v.reason}: ${v.detail}`);
  return v.command;
}
function refusal(command: string) {
  const v = check(command);
  assert.equal(v.ok, false, `${JSON.stringify(command)} was allowed`);
  return v.ok ? undefined : { reason: v.reason, detail: v.detail };
}

test('a redirection out of the workspace or into .git is refused, naming the target and why', () => {
  const cases: Array<[string, string]> = [
    ['ls > /tmp/x', 'output to /tmp/x: absolute path /tmp/x'],
    ['ls >> ../x', 'output to ../x: path ../x climbs out with ..'],
    ['ls > .git/hooks/pre-commit', 'output to .git/hooks/pre-commit: path .git/hooks/pre-commit writes into .git'],
    ['ls > .', 'output to .: path . is the workspace itself'],
    ['sort < /etc/passwd', 'input from /etc/passwd: absolute path /etc/passwd'],
    ['sort < src/../../.env', 'input from src/../../.env: path src/../../.env climbs out with ..'],
    ["sort < ''", 'input from : empty path'],
  ];
  for (const [command, detail] of cases) assert.deepEqual(refusal(command), { reason: 'redirect_not_allowed', detail }, command);
  // The same path rules hold for a program's operands, with the path's own reason code.
  assert.deepEqual(refusal("cat ''"), { reason: 'path_invalid', detail: 'empty path' });
  assert.deepEqual(refusal('cat /etc/passwd'), { reason: 'path_outside_workspace', detail: 'absolute path /etc/passwd' });
});

test('/dev/null is the one path outside the workspace a redirection may name, and it opens no file', () => {
  assert.deepEqual(resolved(check('sort < /dev/null')), {
    pipeline: [['sort']],
    redirects: [],
    consequences: [],
    runsRepositoryCode: false,
  });
  assert.deepEqual(resolved(check('ls > /dev/null 2>/dev/null')).streams, [
    { stage: 0, fd: 1, to: 'null' },
    { stage: 0, fd: 2, to: 'null' },
  ]);
  assert.equal(refusal('ls > /dev/tcp/example.com/80')?.reason, 'redirect_not_allowed');
});

test('a command without stream routing reports none, as the runner expects', () => {
  const plain = resolved(check('ls -la > out.txt'));
  assert.deepEqual(plain, {
    pipeline: [['ls', '-la']],
    redirects: [{ fd: 1, path: 'out.txt', append: false }],
    consequences: [],
    runsRepositoryCode: false,
  });
  assert.equal('streams' in plain, false);
});

test('only the first stage of a pipeline reads a file and only the last writes one, and the refusal says so', () => {
  assert.deepEqual(refusal('ls | sort < in.txt'), {
    reason: 'redirect_not_allowed',
    detail: 'only the first stage of a pipeline may read a file as stdin',
  });
  assert.deepEqual(refusal('sort a 2> err.txt | uniq'), {
    reason: 'redirect_not_allowed',
    detail: 'only the last stage of a pipeline may write a file',
  });
});

test('&> and &>> send stdout and stderr to one file, truncating or appending', () => {
  assert.deepEqual(resolved(check('npm test &> test.log')).redirects, [
    { fd: 1, path: 'test.log', append: false },
    { fd: 2, path: 'test.log', append: false },
  ]);
  assert.deepEqual(resolved(check('npm test &>> test.log')).redirects, [
    { fd: 1, path: 'test.log', append: true },
    { fd: 2, path: 'test.log', append: true },
  ]);
  assert.deepEqual(refusal('npm test &> /tmp/log'), {
    reason: 'redirect_not_allowed',
    detail: 'output to /tmp/log: absolute path /tmp/log',
  });
});

test('>| writes a workspace file as > does', () => {
  assert.deepEqual(resolved(check('ls >| out.txt')).redirects, [{ fd: 1, path: 'out.txt', append: false }]);
  assert.deepEqual(resolved(check('ls 2>| err.txt')).redirects, [{ fd: 2, path: 'err.txt', append: false }]);
});

test('only stdin reads a file: another descriptor as input is refused, not taken for stdin', () => {
  assert.deepEqual(refusal('cat 3< in.txt'), { reason: 'redirect_not_allowed', detail: 'descriptor 3 as input' });
  assert.deepEqual(refusal('cat 1< in.txt'), { reason: 'redirect_not_allowed', detail: 'descriptor 1 as input' });
  assert.deepEqual(refusal('ls 3> out.txt'), { reason: 'redirect_not_allowed', detail: 'descriptor 3' });
});

test('descriptor duplication is limited to 2>&1: other copies and closing a descriptor are refused by name', () => {
  const cases: Array<[string, string]> = [
    ['ls 1>&2', 'descriptor duplication 1>&2'],
    ['ls >&2', 'descriptor duplication 1>&2'],
    ['ls 2<&1', 'descriptor duplication 2<&1'],
    ['cat <&3', 'descriptor duplication 0<&3'],
    ['ls >& out.txt', 'descriptor duplication 1>&out.txt'],
    ['ls >&-', 'redirection 1>&-'],
    ['ls 2>&-', 'redirection 2>&-'],
    ['cat <&-', 'redirection 0<&-'],
    // The grammar reads the word after a closing operator as its target: refused, never taken as a file.
    ['ls >&- out.txt', 'redirection operator >&-'],
    ['cat <&- in.txt', 'redirection operator <&-'],
  ];
  for (const [command, detail] of cases) assert.deepEqual(refusal(command), { reason: 'redirect_not_allowed', detail }, command);
});

test('a descriptor duplicated onto itself changes nothing and is allowed', () => {
  for (const command of ['ls 2>&2', 'ls 1>&1', 'cat 2<&2']) {
    const c = resolved(check(command));
    assert.deepEqual([c.redirects, c.streams], [[], undefined], command);
  }
});

test('a descriptor written against its operator (cat 0<in.txt) is refused, never run as an argument "0" as the grammar reads it', () => {
  // bash reads `cat 0<in.txt` as cat with descriptor 0 from in.txt; tree-sitter-bash as cat "0" with <in.txt.
  for (const [command, op] of [
    ['cat 0<in.txt', '<'],
    ['sort 0>>out.txt', '>>'],
    ['cat 0<&0', '<&'],
    ['cat x | sort 0<in.txt', '<'],
    ['cat x 0<in.txt >out.txt', '<'],
  ] as const) {
    assert.deepEqual(
      refusal(command),
      { reason: 'redirect_not_allowed', detail: `descriptor 0 before ${op} is not supported; write ${op} alone` },
      command,
    );
  }
  // Separated by a space, bash too reads "0" as an argument; digits that are not a plain number are a word.
  assert.deepEqual(resolved(check('cat 0 <in.txt')).pipeline, [['cat', '0']]);
  assert.deepEqual(resolved(check('cat 0x1<in.txt')).pipeline, [['cat', '0x1']]);
  assert.deepEqual(resolved(check('cat x0<in.txt')).pipeline, [['cat', 'x0']]);
  assert.deepEqual(resolved(check('<in.txt cat')).pipeline, [['cat']]);
});
