import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCommandGuard } from '../../../../customer-plane/guard/guard.ts';
import type { GuardVerdict } from '../../../../customer-plane/guard/types.ts';
import { codingAgentPolicy } from '../../../support/command-corpus.ts';

// How the guard reads one shell word (customer-plane/guard/words.ts): the argv it resolves must be the
// one bash would build, and anything bash would expand, split or run is refused with a code and a detail
// that tells the agent what to change. Expected argv values were checked against bash itself.
const guard = await createCommandGuard();
const check = (command: string) => guard.check(command, codingAgentPolicy);
function argv(command: string): string[][] {
  const v = check(command);
  assert.ok(v.ok, v.ok ? '' : `${command}: ${v.reason}: ${v.detail}`);
  return v.command.pipeline;
}
function refusal(command: string): { reason: string; detail: string } {
  const v: GuardVerdict = check(command);
  assert.ok(!v.ok, `${JSON.stringify(command)} was allowed as ${v.ok ? JSON.stringify(v.command.pipeline) : ''}`);
  return { reason: v.reason, detail: v.detail };
}

test('inside double quotes a backslash escapes only $, `, ", \\ and a newline, as in bash', () => {
  assert.deepEqual(argv('echo "a\\`b" "a\\\\b" "a\\\nb" "c\\d" "a\\$b" "q\\"q"'), [['echo', 'a`b', 'a\\b', 'ab', 'c\\d', 'a$b', 'q"q']]);
});

test('a line continuation the parser keeps inside a word is removed, as bash removes it', () => {
  // tree-sitter-bash reads `]\⏎]` as one word; bash joins the lines into `]]`.
  assert.deepEqual(argv('ls ]\\\n]'), [['ls', ']]']]);
});

test('a word the parser joined across a space, tab or newline is refused: bash would split it there, or start a second command', () => {
  // tree-sitter-bash reads `] ]` as one word; bash passes two.
  assert.deepEqual(refusal('ls ] ]'), { reason: 'command_unparseable', detail: 'unexpected " " in a word' });
  assert.deepEqual(refusal('ls ]\t]'), { reason: 'command_unparseable', detail: 'unexpected "\\t" in a word' });
  // The parser makes `⏎\rm` an argument of echo; bash runs echo, then rm.
  assert.deepEqual(refusal('echo \n\\rm x'), { reason: 'command_unparseable', detail: 'unexpected "\\n" in a word' });
});

test('a glob after a quoted part is still expanded by bash, so it is refused', () => {
  const glob = { reason: 'glob_expansion', detail: 'unquoted * would be expanded by a shell; quote it' };
  assert.deepEqual(refusal('ls "src"*'), glob);
  assert.deepEqual(refusal("ls 'src'*"), glob);
  assert.deepEqual(refusal('ls src"/"*'), glob);
  assert.deepEqual(argv('ls "src*" \'[a]\' s\\?'), [['ls', 'src*', '[a]', 's?']]);
});

test('brace expansion is refused naming the brace to quote, and a secret reference does not shield one around it', () => {
  assert.deepEqual(refusal('echo {a,b}'), { reason: 'glob_expansion', detail: 'unquoted { may be brace expansion; quote it' });
  assert.deepEqual(refusal('echo {1..3}'), { reason: 'glob_expansion', detail: 'brace expansion {1..3}' });
  // bash expands this to `{secret:X}}` and `a`: the reference's braces pair with the last one.
  assert.deepEqual(refusal('echo {{secret:X}},a}'), { reason: 'glob_expansion', detail: 'unquoted } may be brace expansion; quote it' });
  assert.deepEqual(refusal('echo {{secret:X}}}'), { reason: 'glob_expansion', detail: 'unquoted } may be brace expansion; quote it' });
});

test('tilde expansion is refused where bash performs it: at the start, after = and after :', () => {
  const tilde = { reason: 'variable_expansion', detail: 'tilde expansion' };
  assert.deepEqual(refusal('echo ~'), tilde);
  assert.deepEqual(refusal('echo a=~/x'), tilde); // bash: a=$HOME/x
  assert.deepEqual(refusal('echo x=a:~/y'), tilde); // bash: x=a:$HOME/y
  assert.deepEqual(refusal('echo a:~'), tilde);
  assert.deepEqual(argv('echo a~ a~=b'), [['echo', 'a~', 'a~=b']]);
});

test('variables, substitutions and arithmetic are refused with their own code and the text that would expand', () => {
  assert.deepEqual(refusal('echo ${HOME}'), { reason: 'variable_expansion', detail: 'expansion ${HOME}' });
  assert.deepEqual(refusal('echo "${HOME}"'), { reason: 'variable_expansion', detail: 'expansion ${HOME}' });
  assert.deepEqual(refusal('echo $((1+2))'), { reason: 'variable_expansion', detail: 'expansion $((1+2))' });
  assert.deepEqual(refusal('echo "$(id)"'), { reason: 'command_substitution', detail: 'substitution $(id)' });
  assert.deepEqual(refusal('echo "`id`"'), { reason: 'command_substitution', detail: 'substitution `id`' });
  assert.deepEqual(refusal('cat <(id)'), { reason: 'command_substitution', detail: 'substitution <(id)' });
  assert.deepEqual(refusal('echo $"x"'), { reason: 'variable_expansion', detail: 'a bare $' });
  assert.deepEqual(refusal('echo a$'), { reason: 'variable_expansion', detail: 'a bare $' });
});

test('$\'…\' and $"…" are refused as obfuscated quoting, naming the form', () => {
  assert.deepEqual(refusal("echo $'\\x72\\x6d'"), { reason: 'obfuscated_word', detail: "quoting form $'\\x72\\x6d'" });
  assert.deepEqual(refusal('cat > $"x"'), { reason: 'obfuscated_word', detail: 'quoting form $"x"' });
});

test('shell syntax inside a word that the guard does not model is refused as unparseable, never thrown', () => {
  assert.deepEqual(refusal('ls (a)'), { reason: 'command_unparseable', detail: 'unsupported syntax (subshell)' });
  assert.deepEqual(refusal('echo x``y'), { reason: 'command_unparseable', detail: 'unsupported syntax (``)' });
});
