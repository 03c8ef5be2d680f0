import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCommandGuard } from '../../../../customer-plane/guard/guard.ts';
import type { GuardVerdict } from '../../../../customer-plane/guard/types.ts';
import { codingAgentPolicy } from '../../../support/command-corpus.ts';

const guard = await createCommandGuard();
const check = (command: string) => guard.check(command, codingAgentPolicy);
function resolved(v: GuardVerdict) {
  assert.ok(v.ok, v.ok ? '' : `${v.reason}: ${v.detail}`);
  return v.command;
}

test('secret references survive the guard as literal words, however they are quoted', () => {
  assert.deepEqual(resolved(check('echo {{secret:NPM_TOKEN}}')).pipeline, [['echo', '{{secret:NPM_TOKEN}}']]);
  assert.deepEqual(resolved(check('node x.js "{{secret:A}}" \'{{secret:B_2}}\'')).pipeline, [
    ['node', 'x.js', '{{secret:A}}', '{{secret:B_2}}'],
  ]);
  assert.deepEqual(resolved(check('npm run check -- --token={{secret:NPM_TOKEN}}')).pipeline[0]!.at(-1), '--token={{secret:NPM_TOKEN}}');
  assert.deepEqual(resolved(guard.checkArgv(['echo', '{{secret:X}}'], codingAgentPolicy)).pipeline, [['echo', '{{secret:X}}']]);
  // Braces that are not a secret reference are still brace expansion to bash.
  assert.equal((check('echo {{secret:X},y}') as { reason: string }).reason, 'glob_expansion');
});

test('a program must be on the agent list as well as in the guard registry', () => {
  assert.equal((guard.check('ls', { programs: ['cat'] }) as { reason: string }).reason, 'program_not_allowed');
  assert.equal((guard.check('cat a | grep x', { programs: ['cat'] }) as { reason: string }).reason, 'program_not_allowed');
  assert.equal((guard.check('ls', { programs: [] }) as { reason: string }).reason, 'program_not_allowed');
  assert.equal((guard.check('terraform apply', { programs: ['terraform'] }) as { reason: string }).reason, 'program_not_allowed');
  assert.equal((guard.check('bash -c ls', { programs: ['bash'] }) as { reason: string }).reason, 'shell_wrapper');
  assert.equal((guard.check('curl x', { programs: ['curl'] }) as { reason: string }).reason, 'network_not_allowed');
  assert.ok(guard.check('ls', { programs: ['ls'] }).ok);
});

test('quotes and escapes decode to exactly the word bash would pass', () => {
  assert.deepEqual(resolved(check(`grep "a\\"b" x`)).pipeline, [['grep', 'a"b', 'x']]);
  assert.deepEqual(resolved(check(`echo 'it'"'"'s'`)).pipeline, [['echo', "it's"]]);
  assert.deepEqual(resolved(check('echo "a\\$b" "c\\d"')).pipeline, [['echo', 'a$b', 'c\\d']]);
  assert.deepEqual(resolved(check('cat a\\ b.txt')).pipeline, [['cat', 'a b.txt']]);
  assert.deepEqual(resolved(check('git log HEAD~2..HEAD')).pipeline, [['git', 'log', 'HEAD~2..HEAD']]);
});

test('redirections resolve as bash applies them, left to right', () => {
  const both = resolved(check('npm run build > build.log 2>&1'));
  assert.deepEqual(both.redirects, [
    { fd: 1, path: 'build.log', append: false },
    { fd: 2, path: 'build.log', append: false },
  ]);
  const swapped = resolved(check('npm run build 2>&1 > build.log'));
  assert.deepEqual(swapped.redirects, [{ fd: 1, path: 'build.log', append: false }]);
  assert.deepEqual(swapped.streams, [{ stage: 0, fd: 2, to: 'stdout' }]);
  assert.deepEqual(resolved(check('grep -rn x src 2>/dev/null | head')).streams, [{ stage: 0, fd: 2, to: 'null' }]);
  assert.deepEqual(resolved(check('sort < in.txt | uniq >> out.txt')).redirects, [
    { fd: 0, path: 'in.txt', append: false },
    { fd: 1, path: 'out.txt', append: true },
  ]);
  assert.equal((check('sort a | uniq < in.txt') as { reason: string }).reason, 'redirect_not_allowed');
  assert.equal((check('sort a > out.txt | uniq') as { reason: string }).reason, 'redirect_not_allowed');
  assert.equal((check('ls > out/../../x') as { reason: string }).reason, 'redirect_not_allowed');
});

test('consequences and repository code are reported per command, for the gate', () => {
  assert.equal(resolved(check('ls -la')).runsRepositoryCode, false);
  assert.equal(resolved(check('git log | head -3')).runsRepositoryCode, false);
  assert.equal(resolved(check('npm test 2>&1 | tail -5')).runsRepositoryCode, true);
  assert.equal(resolved(check('make test')).runsRepositoryCode, true);
  assert.equal(resolved(check('node scripts/x.js')).runsRepositoryCode, true);
  assert.deepEqual(resolved(check('git push origin main')).consequences, ['push']);
  assert.deepEqual(resolved(check('npm publish')).consequences, ['deploy', 'network']);
  assert.deepEqual(resolved(check('rm old.txt')).consequences, ['delete']);
  assert.deepEqual(resolved(check('chmod +x run.sh')).consequences, ['permission_change']);
  assert.deepEqual(resolved(check('git status')).consequences, []);
});

test('an argv built by an executor is checked by the same rules, with its words taken literally', () => {
  assert.deepEqual(resolved(guard.checkArgv(['git', 'status', '--short'], codingAgentPolicy)).pipeline, [['git', 'status', '--short']]);
  // No shell will see these: `$HOME` and `*` are literal text for grep.
  assert.deepEqual(resolved(guard.checkArgv(['grep', '-rn', '$HOME', 'src'], codingAgentPolicy)).pipeline, [
    ['grep', '-rn', '$HOME', 'src'],
  ]);
  const reason = (argv: string[]) => (guard.checkArgv(argv, codingAgentPolicy) as { reason: string }).reason;
  assert.equal(reason(['git', '-c', 'core.pager=sh', 'log']), 'flag_not_allowed');
  assert.equal(reason(['git', 'config', 'core.fsmonitor', './x']), 'subcommand_not_allowed');
  assert.equal(reason(['/bin/ls']), 'program_path_qualified');
  assert.equal(reason(['ls', 'a\0b']), 'invalid_arguments');
  assert.equal(reason(['cat', '/etc/shadow']), 'path_outside_workspace');
  assert.equal(reason([]), 'invalid_arguments');
});

test('each attack vector is refused with its own reason code', () => {
  const cases: Array<[string, string]> = [
    ['echo $(id)', 'command_substitution'],
    ['echo `id`', 'command_substitution'],
    ['diff <(ls) x', 'command_substitution'],
    ['$X', 'variable_expansion'],
    ['cat ~/.npmrc', 'variable_expansion'],
    ['echo $((1+1))', 'variable_expansion'],
    ['sh -c id', 'shell_wrapper'],
    ['find . -exec rm {} \\;', 'glob_expansion'],
    ["find . -exec rm '{}' ';'", 'shell_wrapper'],
    ['ls; id', 'compound_not_allowed'],
    ['ls && id', 'compound_not_allowed'],
    ['ls &', 'compound_not_allowed'],
    ['(ls)', 'compound_not_allowed'],
    ['{ ls; }', 'compound_not_allowed'],
    ['cat <<< x', 'redirect_not_allowed'],
    ['ls > /tmp/x', 'redirect_not_allowed'],
    ['ls 3>x', 'redirect_not_allowed'],
    ['\\rm x', 'obfuscated_word'],
    ["r''m x", 'obfuscated_word'],
    ['"rm" x', 'obfuscated_word'],
    ["$'rm' x", 'obfuscated_word'],
    ['l\\\ns', 'obfuscated_word'],
    ['ｌｓ', 'obfuscated_word'],
    ['l\u200bs', 'obfuscated_word'],
    ['./sed x', 'program_path_qualified'],
    ['PATH=/tmp ls', 'env_assignment'],
    ['ls *.ts', 'glob_expansion'],
    ['echo {a,b}', 'glob_expansion'],
    ['rm -rf x', 'flag_not_allowed'],
    ['git -C .. log', 'flag_not_allowed'],
    ['git clean -fdx', 'subcommand_not_allowed'],
    ['cat ../../.env', 'path_outside_workspace'],
    ['cp x .git/config', 'path_invalid'],
    ['env', 'shell_wrapper'],
    ['printenv', 'program_not_allowed'],
    ['export -p', 'program_not_allowed'],
    ['nc host 80', 'network_not_allowed'],
    ['echo all | make -f -', 'invalid_arguments'],
    ['jq -n \'include "x"; .\'', 'invalid_arguments'],
    ['ls |', 'command_unparseable'],
    ['', 'command_unparseable'],
  ];
  for (const [command, reason] of cases) {
    const v = check(command);
    assert.equal(v.ok, false, `${JSON.stringify(command)} was allowed`);
    assert.equal(v.ok ? '' : v.reason, reason, `${JSON.stringify(command)}: ${v.ok ? '' : v.detail}`);
  }
});

test('a command line is refused before parsing when it is not a non-empty string, too long or holds a NUL byte', () => {
  const refusal = (command: unknown) => {
    const v = guard.check(command as string, codingAgentPolicy);
    return v.ok ? undefined : { reason: v.reason, detail: v.detail };
  };
  // A malformed tool call may carry anything: it is refused, not thrown.
  assert.deepEqual(refusal(undefined), { reason: 'command_unparseable', detail: 'empty command' });
  assert.deepEqual(refusal(42), { reason: 'command_unparseable', detail: 'empty command' });
  assert.deepEqual(refusal('echo a\0b'), { reason: 'command_unparseable', detail: 'NUL byte in command' });
  assert.ok(check(`echo ${'a'.repeat(4091)}`).ok, 'a command of exactly 4,096 characters is allowed');
  assert.deepEqual(refusal(`echo ${'a'.repeat(4092)}`), { reason: 'command_unparseable', detail: 'command too long' });
  assert.ok(check(Array(8).fill('cat x').join(' | ')).ok, 'a pipeline of 8 stages is allowed');
  assert.deepEqual(refusal(Array(9).fill('cat x').join(' | ')), { reason: 'compound_not_allowed', detail: 'more than 8 pipeline stages' });
  assert.deepEqual(guard.check('ls', { programs: ['cat'] }), {
    ok: false,
    reason: 'program_not_allowed',
    detail: "ls is not on this agent's list of programs",
  });
});

test('an executor-built argv must be strings without NUL and start with a plain program name', () => {
  const refusal = (argv: unknown[]) => {
    const v = guard.checkArgv(argv as string[], codingAgentPolicy);
    return v.ok ? undefined : { reason: v.reason, detail: v.detail };
  };
  assert.deepEqual(refusal([]), { reason: 'invalid_arguments', detail: 'empty argv' });
  assert.deepEqual(refusal(['ls', 42]), { reason: 'invalid_arguments', detail: 'argv words must be strings without NUL' });
  assert.deepEqual(refusal(['/bin/ls']), { reason: 'program_path_qualified', detail: 'program given as a path: /bin/ls' });
  // Not a name a shell would look up as one program: an option, a compound, a name with a space.
  assert.deepEqual(refusal(['-rf']), { reason: 'obfuscated_word', detail: 'program name -rf is not a plain name' });
  assert.deepEqual(refusal(['ls;id']), { reason: 'obfuscated_word', detail: 'program name ls;id is not a plain name' });
  assert.deepEqual(refusal(['l s']), { reason: 'obfuscated_word', detail: 'program name l s is not a plain name' });
  // An argv has no redirections and no stream routing: the executor's words are the whole command.
  assert.deepEqual(guard.checkArgv(['ls', '-la'], codingAgentPolicy), {
    ok: true,
    command: { pipeline: [['ls', '-la']], redirects: [], consequences: [], runsRepositoryCode: false },
  });
});
