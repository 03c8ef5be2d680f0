import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { testRunner } from '../../../../agents/catalog/test-runner.ts';
import type { ToolBox } from '../../../../agents/types.ts';
import { COMMAND_OUTPUTS, runOnFixture, scoreOnFixture } from '../../../support/agents.ts';
import { ok, overrideTools } from '../../../support/toolboxes.ts';

const recorded = (name: string) => readFileSync(join(COMMAND_OUTPUTS, name), 'utf8');
type Runs = Array<{ command: string; format?: string; passed?: number; failed?: number; exitCode?: unknown; refused?: string }>;

/** Parsing tests: the gate and the workspace are real, only run_command answers with a recorded output. */
function withCommandOutput(output: string, data?: unknown, commands: string[] = []) {
  return (gated: ToolBox) =>
    overrideTools(gated, {
      run_command: (input: { command: string }) => {
        commands.push(input.command);
        return ok(output, data);
      },
    });
}

for (const [repo, command, passed] of [
  ['node-shop', 'npm test', 1],
  ['py-service', 'python3 -m pytest -rf --tb=line -q -p no:cacheprovider', 2],
] as const) {
  test(`live: test-runner runs "${command}" in ${repo} through the gate in the sandbox and reports the planted failing test at its file and line`, async () => {
    const s = await scoreOnFixture(testRunner, repo);
    assert.deepEqual(s.missed, []);
    assert.deepEqual(s.unexpected, []);
    const runs = (s.output.data as { runs: Runs }).runs;
    assert.deepEqual(
      runs.map((r) => [r.command, r.passed, r.failed, r.exitCode]),
      [[command, passed, 1, 1]],
    );
    assert.match(s.output.findings[0]!.message, /discount/);
  });
}

test('live: a suite that passes gives no findings and says how many tests ran', async () => {
  const out = await runOnFixture(testRunner, 'clean-lib');
  assert.deepEqual(out.findings, []);
  assert.deepEqual(
    (out.data as { runs: Runs }).runs.map((r) => [r.command, r.failed, r.exitCode]),
    [['npm test', 0, 0]],
  );
  assert.match(out.summary, /^1 of 1 test commands run: no findings$/);
});

for (const [repo, file, command] of [
  ['node-shop', 'node-test-spec.txt', 'npm test'],
  ['node-shop', 'node-test-tap.txt', 'npm test'],
  ['py-service', 'pytest-line.txt', 'python3 -m pytest -rf --tb=line -q -p no:cacheprovider'],
] as const) {
  test(`test-runner reads the planted failing test from a recorded ${file} of "${command}" in ${repo}`, async () => {
    const commands: string[] = [];
    const s = await scoreOnFixture(testRunner, repo, { tools: withCommandOutput(recorded(file), { exitCode: 1 }, commands) });
    assert.deepEqual(commands, [command]);
    assert.deepEqual(s.missed, []);
    assert.deepEqual(s.unexpected, []);
    const runs = (s.output.data as { runs: Runs }).runs;
    assert.equal(runs[0]!.failed, 1);
    assert.equal(runs[0]!.passed, repo === 'py-service' ? 2 : 1);
  });
}

test('a test command the gate refuses is reported in the summary and as test/not-run, and the step still succeeds', async () => {
  // A template's testCommand naming a program that is not on the agent's list.
  const out = await runOnFixture(testRunner, 'node-shop', { params: { testCommand: 'make test' } });
  assert.match(out.summary, /0 of 1 test commands run \(not run: make test → program_not_allowed\)/);
  assert.deepEqual(
    out.findings.map((f) => [f.rule, f.severity]),
    [['test/not-run', 'medium']],
  );
  assert.match(out.findings[0]!.message, /deny \(program_not_allowed\)/);
});

test('a test program that is not installed (exit 127) is reported as test/not-run, not read as a report', async () => {
  const out = await runOnFixture(testRunner, 'py-service', {
    tools: withCommandOutput('python3: program not found\n[exit 127]', { exitCode: 127 }),
  });
  assert.deepEqual(
    out.findings.map((f) => f.rule),
    ['test/not-run'],
  );
  assert.match(out.findings[0]!.message, /exited 127: a program it needs is not installed/);
});

test('output no parser recognizes, with a failing exit code, is reported as test/suite-error', async () => {
  const s = await runOnFixture(testRunner, 'node-shop', { tools: withCommandOutput('Segmentation fault\n', { exitCode: 139 }) });
  assert.deepEqual(
    s.findings.map((f) => f.rule),
    ['test/suite-error'],
  );
});

test('a repository without tests gets no command and says so', async () => {
  const out = await runOnFixture(testRunner, 'node-shop', {
    tools: (gated) => overrideTools(gated, { list_files: () => ok('src/a.js\nREADME.md') }),
  });
  assert.equal(out.summary, 'no test suite found');
});
