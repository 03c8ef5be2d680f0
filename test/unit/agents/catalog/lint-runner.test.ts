import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { lintRule, parseLintOutput } from '../../../../agents/analysis/lint-output.ts';
import { lintRunner } from '../../../../agents/catalog/lint-runner.ts';
import type { ToolBox } from '../../../../agents/types.ts';
import { defaultProgramPath } from '../../../../customer-plane/tools/exec/environment.ts';
import { findProgram, hiddenInSandbox } from '../../../../customer-plane/tools/exec/sandbox.ts';
import { COMMAND_OUTPUTS, runOnFixture, scoreOnFixture } from '../../../support/agents.ts';
import { ok, overrideTools } from '../../../support/toolboxes.ts';

const recorded = (name: string) => readFileSync(join(COMMAND_OUTPUTS, name), 'utf8');

/** Parsing tests: the gate and the workspace are real, only run_command answers with a recorded output. */
function withCommandOutput(output: string, commands: string[] = [], exitCode = 1) {
  return (gated: ToolBox) =>
    overrideTools(gated, {
      run_command: (input: { command: string }) => {
        commands.push(input.command);
        return ok(output, { exitCode });
      },
    });
}
// Where the command runner looks for programs (never the caller's PATH).
const hasRuff = findProgram('ruff', defaultProgramPath()) !== undefined;

// The fixture's ESLint links to this checkout's node_modules, which the sandbox hides when the checkout is
// under /tmp, /root or /home (a repository's real install lives in its own workspace, which is bound).
const eslintHidden = hiddenInSandbox(join(import.meta.dirname, '..', '..', '..', '..', 'node_modules', 'eslint'));

test('live: lint-runner runs the repository’s own ESLint through the gate in the sandbox and reports the planted problems', {
  skip: eslintHidden ? 'this checkout is under a directory the sandbox hides, so the fixture cannot reach its ESLint' : false,
}, async () => {
  const s = await scoreOnFixture(lintRunner, 'node-shop');
  assert.deepEqual((s.output.data as { runs: unknown[] }).runs, [{ command: 'eslint --format json .', problems: 2 }]);
  assert.deepEqual(s.missed, []);
  assert.deepEqual(s.unexpected, []);
});

test('live: lint-runner runs ruff on the Python service and reports the planted problems', {
  skip: hasRuff ? false : 'ruff is not installed here (.ci/run installs it)',
}, async () => {
  const s = await scoreOnFixture(lintRunner, 'py-service');
  assert.deepEqual((s.output.data as { runs: unknown[] }).runs, [{ command: 'ruff check --no-fix --output-format json .', problems: 4 }]);
  assert.deepEqual(s.missed, []);
  assert.deepEqual(s.unexpected, []);
});

for (const [repo, file, command] of [
  ['node-shop', 'eslint-json.txt', 'eslint --format json .'],
  ['py-service', 'ruff-json.txt', 'ruff check --no-fix --output-format json .'],
] as const) {
  test(`lint-runner picks "${command}" for ${repo} and reads the planted problems from a recorded JSON report`, async () => {
    const commands: string[] = [];
    const s = await scoreOnFixture(lintRunner, repo, { tools: withCommandOutput(recorded(file), commands) });
    assert.deepEqual(commands, [command]);
    assert.deepEqual(s.missed, []);
    assert.deepEqual(s.unexpected, []);
  });
}

test('a linter that fails without printing a report is reported as not run, never as "no problems"', async () => {
  const output = '[stderr]\nbwrap: execvp /ws/node_modules/.bin/eslint: No such file or directory\n[exit 1]';
  const s = await scoreOnFixture(lintRunner, 'node-shop', {
    tools: (gated: ToolBox) => overrideTools(gated, { run_command: () => ok(output, { exitCode: 1, stdoutChars: 0 }) }),
  });
  assert.deepEqual((s.output.data as { runs: unknown[] }).runs, [
    { command: 'eslint --format json .', refused: 'failed_without_report (exit 1)' },
  ]);
  assert.deepEqual(
    s.output.findings.map((f) => f.rule),
    ['lint/not-run'],
  );
  assert.match(s.output.summary, /0 of 1 linters run/);
});

test('the same problems are read from the human-readable reports: ESLint stylish, Ruff concise, flake8', () => {
  const jsFiles = ['src/legacy.js', 'src/cart.js'];
  assert.deepEqual(
    parseLintOutput(recorded('eslint-stylish.txt'), jsFiles).map((p) => [p.rule, p.file, p.line, p.severity]),
    [
      ['lint/eslint/no-unused-vars', 'src/legacy.js', 5, 'medium'],
      ['lint/eslint/no-unreachable', 'src/legacy.js', 15, 'medium'],
    ],
  );
  const pyFiles = ['settings.py', 'utils.py', 'app.py'];
  assert.deepEqual(
    parseLintOutput(recorded('ruff-concise.txt'), pyFiles, 'ruff').map((p) => [p.rule, p.file, p.line]),
    [
      ['lint/ruff/e501', 'settings.py', 5],
      ['lint/ruff/e501', 'settings.py', 10],
      ['lint/ruff/f401', 'utils.py', 1],
      ['lint/ruff/e711', 'utils.py', 19],
    ],
  );
  assert.deepEqual(
    parseLintOutput(recorded('flake8.txt'), pyFiles, 'flake8').map((p) => [p.rule, p.file, p.line]),
    [
      ['lint/flake8/e501', 'settings.py', 10],
      ['lint/flake8/f401', 'utils.py', 1],
      ['lint/flake8/e711', 'utils.py', 19],
    ],
  );
});

test('TypeScript compiler errors are read too', () => {
  const out = "src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.\n";
  assert.deepEqual(
    parseLintOutput(out, ['src/a.ts']).map((p) => [p.rule, p.file, p.line]),
    [['lint/tsc/ts2322', 'src/a.ts', 3]],
  );
});

test('linter rule ids become finding rules the contract accepts', () => {
  assert.equal(lintRule('eslint', '@typescript-eslint/no-unused-vars'), 'lint/eslint/typescript-eslint/no-unused-vars');
  assert.equal(lintRule('ruff', 'E501'), 'lint/ruff/e501');
  assert.match(lintRule('x', '!!weird id!!'), /^[a-z0-9][a-z0-9_./-]{0,79}$/);
});

test('a lint command the gate refuses is reported as lint/not-run, and the step still succeeds', async () => {
  const out = await runOnFixture(lintRunner, 'node-shop', { params: { lintCommand: 'npx --no-install eslint .' } });
  assert.match(out.summary, /not run: npx --no-install eslint \. → shell_wrapper/);
  assert.deepEqual(
    out.findings.map((f) => f.rule),
    ['lint/not-run'],
  );
});

test('a linter that is not installed (exit 127) is reported as lint/not-run, not read as an empty report', async () => {
  const out = await runOnFixture(lintRunner, 'py-service', { tools: withCommandOutput('ruff: program not found\n[exit 127]', [], 127) });
  assert.deepEqual(
    out.findings.map((f) => f.rule),
    ['lint/not-run'],
  );
  assert.match(out.summary, /not run: ruff check --no-fix --output-format json \. → not_installed/);
});
