import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { lintRule, parseLintOutput } from '../../../../agents/analysis/lint-output.ts';
import { lintRunner } from '../../../../agents/catalog/lint-runner.ts';
import { createFixtureToolbox } from '../../../../bench/support/fixture-toolbox.ts';
import { COMMAND_OUTPUTS, REPOS, runOnFixture, scoreOnFixture } from '../../../support/agents.ts';
import { ok, overrideTools } from '../../../support/toolboxes.ts';

const recorded = (name: string) => readFileSync(join(COMMAND_OUTPUTS, name), 'utf8');

function withCommandOutput(repo: string, output: string, commands: string[] = []) {
  return overrideTools(createFixtureToolbox(join(REPOS, repo), lintRunner.tools), {
    run_command: (input: { command: string }) => {
      commands.push(input.command);
      return ok(output, { exitCode: 1 });
    },
  });
}

for (const [repo, file, command] of [
  ['node-shop', 'eslint-json.txt', 'npx --no-install eslint --format json .'],
  ['py-service', 'ruff-json.txt', 'ruff check --output-format json .'],
] as const) {
  test(`lint-runner picks "${command}" for ${repo} and reports the planted lint problems from its JSON report`, async () => {
    const commands: string[] = [];
    const s = await scoreOnFixture(lintRunner, repo, { tools: withCommandOutput(repo, recorded(file), commands) });
    assert.deepEqual(commands, [command]);
    assert.deepEqual(s.missed, []);
    assert.deepEqual(s.unexpected, []);
  });
}

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

test('a refused lint command is reported as lint/not-run, and the step still succeeds', async () => {
  const out = await runOnFixture(lintRunner, 'node-shop');
  assert.match(out.summary, /refused: npx --no-install eslint --format json \. → tool_not_allowed/);
  assert.deepEqual(
    out.findings.map((f) => f.rule),
    ['lint/not-run'],
  );
});
