import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCommandGuard } from '../../../../customer-plane/guard/guard.ts';
import type { GuardVerdict } from '../../../../customer-plane/guard/types.ts';
import { codingAgentPolicy } from '../../../support/command-corpus.ts';

/**
 * The shell syntax the guard reads (customer-plane/guard/syntax.ts): what shape of command line is one
 * command, how redirections and program names are read, and what the agent is told when a line is
 * refused — the detail reaches the agent as "the command guard refused it: <detail>", so it must name
 * the construct it can fix.
 */

const guard = await createCommandGuard();
const check = (command: string) => guard.check(command, codingAgentPolicy);

function resolved(command: string) {
  const v = check(command);
  assert.ok(v.ok, v.ok ? '' : `${JSON.stringify(command)} refused: ${v.reason}: ${v.detail}`);
  return v.command;
}

function refusal(v: GuardVerdict, command: string): [string, string] {
  assert.equal(v.ok, false, `${JSON.stringify(command)} was allowed`);
  return v.ok ? ['', ''] : [v.reason, v.detail];
}

/** Each command must be refused with exactly this reason code and detail. */
function assertRefusals(cases: Array<[command: string, reason: string, detail: string]>) {
  for (const [command, reason, detail] of cases) {
    assert.deepEqual(refusal(check(command), command), [reason, detail], JSON.stringify(command));
  }
}

test('every compound form is refused as compound and named, alone or redirected', () => {
  assertRefusals([
    ['ls && rm x', 'compound_not_allowed', 'list is not allowed; send one command'],
    ['(ls)', 'compound_not_allowed', 'subshell is not allowed; send one command'],
    ['{ ls; }', 'compound_not_allowed', 'compound statement is not allowed; send one command'],
    ['if true; then ls; fi', 'compound_not_allowed', 'if statement is not allowed; send one command'],
    ['while true; do ls; done', 'compound_not_allowed', 'while statement is not allowed; send one command'],
    ['for f in a b; do cat f; done', 'compound_not_allowed', 'for statement is not allowed; send one command'],
    ['for ((i = 0; i < 3; i++)); do ls; done', 'compound_not_allowed', 'c style for statement is not allowed; send one command'],
    ['case x in a) ls ;; esac', 'compound_not_allowed', 'case statement is not allowed; send one command'],
    ['f() { ls; }', 'compound_not_allowed', 'function definition is not allowed; send one command'],
    ['! ls', 'compound_not_allowed', 'negated command is not allowed; send one command'],
    ['[ -f x ]', 'compound_not_allowed', 'test command is not allowed; send one command'],
    ['[[ -f x ]]', 'compound_not_allowed', 'test command is not allowed; send one command'],
    // A redirection around a compound does not make it one command.
    ['(ls) > out.txt', 'compound_not_allowed', 'subshell is not allowed; send one command'],
    ['while true; do ls; done > out.txt', 'compound_not_allowed', 'while statement is not allowed; send one command'],
    ['{ ls; } 2>&1 | cat', 'compound_not_allowed', 'compound statement is not allowed; send one command'],
    // tree-sitter reads `a | b > f | c` as (a | b > f) | c: a pipeline inside a pipeline.
    ['ls | cat > out.txt | wc -l', 'compound_not_allowed', 'nested pipeline'],
  ]);
});

test('only one command or pipeline is run: separators, background jobs and empty lines are refused', () => {
  assertRefusals([
    ['ls &', 'compound_not_allowed', 'operator "&": send one command'],
    ['ls;', 'compound_not_allowed', 'operator ";": send one command'],
    // A newline separates commands as `;` does; the first must not be run alone.
    ['ls\nrm x', 'compound_not_allowed', 'several commands: send one command (or one pipeline)'],
    ['git status\n\ngit push', 'compound_not_allowed', 'several commands: send one command (or one pipeline)'],
    ['# nothing but a comment', 'command_unparseable', 'empty command'],
    ['   ', 'command_unparseable', 'empty command'],
    ['ls |', 'command_unparseable', 'the command does not parse as shell'],
    ['ls |& cat', 'redirect_not_allowed', '|& is not supported; use 2>&1 |'],
    // A redirection with no program is bash truncating a file; there is nothing to run.
    ['> out.txt', 'command_unparseable', 'unsupported syntax (redirected_statement)'],
  ]);
  // A comment after the command is not a second command.
  assert.deepEqual(resolved('ls -la # list').pipeline, [['ls', '-la']]);
});

test('shell builtins and variable assignments are refused, naming what the agent wrote', () => {
  assertRefusals([
    ['export NODE_OPTIONS=--require=./x.js', 'program_not_allowed', 'shell builtin export has no meaning without a shell'],
    ['declare -x A=1', 'program_not_allowed', 'shell builtin declare has no meaning without a shell'],
    ['unset PATH', 'program_not_allowed', 'shell builtin unset has no meaning without a shell'],
    ['X=1', 'env_assignment', 'a variable assignment'],
    ['X=1 Y=2', 'env_assignment', 'a variable assignment'],
    ['NODE_OPTIONS=--require=./x.js node t.js', 'env_assignment', 'assignment NODE_OPTIONS=--require=./x.js before a command'],
  ]);
});

test('the program must be one plain, unquoted name; the refusal says which rule it broke', () => {
  assertRefusals([
    ["'ls' -la", 'obfuscated_word', "quoted program name 'ls'"],
    ['"ls" -la', 'obfuscated_word', 'quoted program name "ls"'],
    ['./node_modules/.bin/eslint .', 'program_path_qualified', 'program given as a path: ./node_modules/.bin/eslint'],
    ['. ./env.sh', 'obfuscated_word', 'program name . is not a plain name'],
  ]);
});

test('every redirection operator bash writes to a file is read, with the descriptors it affects', () => {
  assert.deepEqual(resolved('npm test &> test.log').redirects, [
    { fd: 1, path: 'test.log', append: false },
    { fd: 2, path: 'test.log', append: false },
  ]);
  assert.deepEqual(resolved('npm test &>> test.log').redirects, [
    { fd: 1, path: 'test.log', append: true },
    { fd: 2, path: 'test.log', append: true },
  ]);
  assert.deepEqual(resolved('ls >| out.txt').redirects, [{ fd: 1, path: 'out.txt', append: false }]);
  // Written before the program, a redirection applies to the command all the same.
  const prefixed = resolved('> out.txt ls -la');
  assert.deepEqual([prefixed.pipeline, prefixed.redirects], [[['ls', '-la']], [{ fd: 1, path: 'out.txt', append: false }]]);
  // `<&` without a descriptor is stdin's: `<&0` duplicates stdin onto itself and changes nothing.
  const dup = resolved('sort <&0');
  assert.deepEqual([dup.pipeline, dup.redirects, dup.streams], [[['sort']], [], undefined]);
});

test('redirections that close a descriptor, or that are followed by more words, are refused as written', () => {
  assertRefusals([
    ['ls >&-', 'redirect_not_allowed', 'redirection 1>&-'],
    ['sort <&-', 'redirect_not_allowed', 'redirection 0<&-'],
    // bash would write out.txt and pass src.txt to grep; the guard does not guess which word is the target.
    ['grep -n x > out.txt src.txt', 'redirect_not_allowed', 'redirection > out.txt src.txt'],
    ['cat <<EOF\nhello\nEOF', 'redirect_not_allowed', 'here-documents and here-strings are not supported'],
    ['ls | cat <<EOF\nhello\nEOF', 'redirect_not_allowed', 'here-documents and here-strings are not supported'],
  ]);
});

test('a redirection target that is not a literal word is refused for what it expands', () => {
  assertRefusals([
    ['ls > $HOME/x', 'variable_expansion', 'expansion $HOME'],
    ['> $HOME/x ls', 'variable_expansion', 'expansion $HOME'],
    ['ls | cat > $(echo x)', 'command_substitution', 'substitution $(echo x)'],
    ['ls | cat 2> $HOME/x', 'variable_expansion', 'expansion $HOME'],
  ]);
});

test('leading and trailing blank lines are allowed; text the parser skipped is refused and shown', () => {
  assert.deepEqual(resolved('\n\n  git status\n').pipeline, [['git', 'status']]);
  assert.deepEqual(resolved('ls -la\n').pipeline, [['ls', '-la']]);
  assertRefusals([
    // Line continuations: bash joins `l\⏎s` into `ls`; tree-sitter skips the backslash-newline.
    ['\\\nls', 'obfuscated_word', 'characters the parser skipped: "\\\\\\n"'],
    ['l\\\ns -la', 'obfuscated_word', 'characters the parser skipped: "\\\\\\n"'],
    ['ls \\\n\n', 'obfuscated_word', 'characters the parser skipped: " \\\\\\n\\n"'],
    // A form feed is a word to bash (`ls $'\f' a`) but whitespace to tree-sitter.
    ['ls \f a', 'obfuscated_word', 'characters the parser skipped: " \\f "'],
  ]);
});
