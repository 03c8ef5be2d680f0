import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { testRunner } from '../../../../agents/catalog/test-runner.ts';
import { createFixtureToolbox } from '../../../../bench/support/fixture-toolbox.ts';
import { COMMAND_OUTPUTS, REPOS, runOnFixture, scoreOnFixture } from '../../../support/agents.ts';
import { ok, overrideTools } from '../../../support/toolboxes.ts';

const recorded = (name: string) => readFileSync(join(COMMAND_OUTPUTS, name), 'utf8');

function withCommandOutput(repo: string, output: string, data?: unknown, commands: string[] = []) {
  return overrideTools(createFixtureToolbox(join(REPOS, repo), testRunner.tools), {
    run_command: (input: { command: string }) => {
      commands.push(input.command);
      return ok(output, data);
    },
  });
}

for (const [repo, file, command] of [
  ['node-shop', 'node-test-spec.txt', 'npm test'],
  ['node-shop', 'node-test-tap.txt', 'npm test'],
  ['py-service', 'pytest-line.txt', 'python3 -m pytest -rf --tb=line -q -p no:cacheprovider'],
] as const) {
  test(`test-runner runs "${command}" in ${repo} and reports the planted failing test from ${file} at its file and line`, async () => {
    const commands: string[] = [];
    const s = await scoreOnFixture(testRunner, repo, { tools: withCommandOutput(repo, recorded(file), { exitCode: 1 }, commands) });
    assert.deepEqual(commands, [command]);
    assert.deepEqual(s.missed, []);
    assert.deepEqual(s.unexpected, []);
    const runs = (s.output.data as { runs: Array<{ passed?: number; failed?: number }> }).runs;
    assert.equal(runs[0].failed, 1);
    assert.equal(runs[0].passed, repo === 'py-service' ? 2 : 1);
    assert.match(s.output.findings[0].message, /discount/);
  });
}

test('a refused test command is reported in the summary and as test/not-run, and the step still succeeds', async () => {
  const out = await runOnFixture(testRunner, 'node-shop');
  assert.match(out.summary, /0 of 1 test commands run \(refused: npm test → tool_not_allowed\)/);
  assert.deepEqual(
    out.findings.map((f) => [f.rule, f.severity]),
    [['test/not-run', 'medium']],
  );
  assert.match(out.findings[0].message, /deny \(tool_not_allowed\)/);
});

test('output no parser recognizes, with a failing exit code, is reported as test/suite-error', async () => {
  const s = await runOnFixture(testRunner, 'node-shop', {
    tools: withCommandOutput('node-shop', 'Segmentation fault\n', { exitCode: 139 }),
  });
  assert.deepEqual(
    s.findings.map((f) => f.rule),
    ['test/suite-error'],
  );
});

test('a repository without tests gets no command and says so', async () => {
  const out = await runOnFixture(testRunner, 'node-shop', {
    params: {},
    tools: overrideTools(createFixtureToolbox(join(REPOS, 'node-shop'), testRunner.tools), { list_files: () => ok('src/a.js\nREADME.md') }),
  });
  assert.equal(out.summary, 'no test suite found');
});

test('live: the failing test is found in what this Node prints for node --test today, not only in the recording', async () => {
  const root = join(REPOS, 'node-shop');
  // Without NODE_TEST_CONTEXT, or the child reports to this test runner instead of printing.
  const env = { ...process.env, NODE_TEST_CONTEXT: undefined };
  const run = await promisify(execFile)(process.execPath, ['--test'], { cwd: root, env, timeout: 60_000 }).catch(
    (err: { stdout: string; code: number }) => err,
  );
  const s = await scoreOnFixture(testRunner, 'node-shop', {
    tools: withCommandOutput('node-shop', run.stdout, { exitCode: (run as { code?: number }).code ?? 0 }),
  });
  assert.deepEqual(s.missed, []);
  assert.deepEqual(s.unexpected, []);
});
