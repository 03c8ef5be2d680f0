import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { TEMPLATES } from '../../../shared/boundary.ts';
import { TEMPLATE_DEFINITIONS } from '../../../agents/templates/index.ts';
import { writeSampleRepo } from '../../../scripts/topology/local-topology.ts';
import { startRuntimeRig } from '../../support/runtime-rig.ts';

test('every shipped template runs end to end on the sample repository with the fake providers: each step ends, and each run succeeds', async (t) => {
  const rig = await startRuntimeRig(t, { repoFiles: {} });
  writeSampleRepo(rig.repoDir);
  for (const name of TEMPLATES) {
    const started = Date.now();
    const run = await rig.run(name);
    const record = (await rig.records.show(run.runId))!;
    const steps = record.stepList.map((s) => `${s.key}:${s.status}${s.errorCode === 'none' ? '' : `(${s.errorCode})`}`);
    t.diagnostic(`${name.padEnd(17)} ${run.status} ${run.errorCode} in ${Date.now() - started} ms — ${steps.join(' ')}`);
    assert.deepEqual(
      record.stepList.map((s) => s.key),
      TEMPLATE_DEFINITIONS[name].steps.map((s) => s.id),
      `${name}: every step of the template is in the record`,
    );
    assert.deepEqual([run.status, run.errorCode], ['succeeded', 'none'], `${name}: ${steps.join(' ')}`);
    // The steps did their work for real: the test runner ran the sample's suite in the sandbox, the
    // lint runner its lint script, the scanners found the planted query.
    const outputs = await rig.query<{ agent: string; output: { data?: Record<string, unknown> } }>(
      'SELECT agent, output FROM runtime.steps WHERE run_id = $1',
      [run.runId],
    );
    for (const { agent, output } of outputs) {
      if (agent === 'test-runner')
        assert.deepEqual(output.data?.runs, [{ command: 'npm test', format: 'node-spec', passed: 1, failed: 0, exitCode: 0 }], name);
      if (agent === 'lint-runner') assert.deepEqual(output.data?.runs, [{ command: 'npm run lint', problems: 0 }], name);
      if (agent === 'injection-scanner') assert.deepEqual(output.data?.byRule, { 'injection/sql': 1 }, name);
    }
  }
  assert.deepEqual(rig.rejected, [], 'every event passed the boundary schema');
  assert.deepEqual(readdirSync(rig.workspaceDir), [], 'no workspace left behind');
});

test('without a sandbox (SANDBOX=none) the gate asks before repository code runs: the test runner’s npm test is not approved, not run, and reported as test/not-run', async (t) => {
  const rig = await startRuntimeRig(t, { repoFiles: {}, sandbox: 'none' });
  writeSampleRepo(rig.repoDir);
  assert.equal(rig.deps.runner.sandbox, 'none');
  const run = await rig.run('diagnose-and-fix');
  assert.deepEqual([run.status, run.errorCode], ['succeeded', 'none']);
  const decisions = await rig.query<{ tool: string; decision: string; reason: string; approval: string }>(
    `SELECT gd.tool, gd.decision, gd.reason, gd.approval FROM runtime.gate_decisions gd
     JOIN runtime.steps s ON s.id = gd.step_id WHERE s.run_id = $1 AND s.agent = 'test-runner' AND gd.tool = 'run_command'`,
    [run.runId],
  );
  assert.deepEqual(
    decisions.map((d) => [d.decision, d.reason, d.approval]),
    [
      ['ask', 'sandbox_unavailable', 'rejected'],
      ['ask', 'sandbox_unavailable', 'rejected'],
    ],
    'both test-runner steps asked a person, and nobody approved',
  );
  const outputs = await rig.query<{ output: { findings: Array<{ rule: string; message: string }> } }>(
    "SELECT output FROM runtime.steps WHERE run_id = $1 AND agent = 'test-runner'",
    [run.runId],
  );
  for (const { output } of outputs) {
    assert.deepEqual(
      output.findings.map((f) => f.rule),
      ['test/not-run'],
    );
    assert.match(output.findings[0]!.message, /ask \(approval_rejected\)/);
  }
});
