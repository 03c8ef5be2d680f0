import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newUlid } from '../../../shared/ids.ts';
import { agentOutputSchema, type DeterministicAgent, type WorkflowTemplate } from '../../../agents/types.ts';
import type { ToolResult } from '../../../agents/tools.ts';
import type { ApprovalRequest } from '../../../customer-plane/gate/approval-broker.ts';
import { parseEnvironments } from '../../../customer-plane/environments/environments.ts';
import { templateHash } from '../../../customer-plane/environments/template-hash.ts';
import { createFileSecretStore } from '../../../customer-plane/secrets/file-store.ts';
import { createSecretsProvider } from '../../../customer-plane/secrets/provider.ts';
import { waitFor } from '../../../scripts/topology/boundary-rig.ts';
import { capturedLogger } from '../../support/approvals.ts';
import { startRuntimeRig } from '../../support/runtime-rig.ts';
import { createTestOnlyGuard, createTestOnlyRunner } from '../../support/test-commands.ts';

/**
 * Named environments in the runtime: which runs are admitted, what the gate asks in each, whose
 * secrets a run can name, and the environment's approval deadline — with the real ledger, gate,
 * stored approvals and Postgres.
 */

/**
 * Writes deploy.txt, then runs a command. It checks no result and swallows what a call throws, as a
 * careless (or hijacked) agent would: what must stop the step has to stop it anyway.
 */
const swallow = (p: Promise<ToolResult>): Promise<ToolResult | { ok: false; reason: string }> =>
  p.catch((err: { code?: string }) => ({ ok: false, reason: `threw ${err.code}` }));
const deployer = (command = 'ls'): DeterministicAgent => ({
  name: 'patch-applier',
  kind: 'deterministic',
  tier: null,
  purpose: 'test: writes a file and runs one command',
  tools: ['write_file', 'run_command', 'read_file'],
  programs: ['ls', 'git'],
  budget: { maxSteps: 10, maxTokens: 0 },
  output: agentOutputSchema,
  async run(ctx) {
    const wrote = await swallow(ctx.tools.call('write_file', { path: 'deploy.txt', content: 'v2\n' }));
    const ran = await swallow(ctx.tools.call('run_command', { command }));
    return { summary: `write ${wrote.ok ? 'ok' : wrote.reason}; command ${ran.ok ? 'ok' : ran.reason}`, findings: [], patches: [] };
  },
});
const template: WorkflowTemplate = {
  name: 'refactor',
  description: 'one deploying step',
  steps: [{ id: 'deploy', agent: 'patch-applier', needs: [] }],
};

function environments(o: { pin?: string; deadlineSeconds?: number; warnBeforeSeconds?: number } = {}) {
  const approval = { deadlineSeconds: o.deadlineSeconds ?? 600, warnBeforeSeconds: o.warnBeforeSeconds ?? 60 };
  return parseEnvironments(
    JSON.stringify({
      environments: {
        sandbox: { secrets: { prefix: 'sandbox/' }, templates: ['refactor', 'index-only'], approval, writes: 'allow' },
        preview: { secrets: { prefix: 'preview/' }, templates: ['index-only'], approval, writes: 'allow' },
        production: {
          secrets: { prefix: 'production/' },
          templates: ['refactor', 'index-only'],
          approval,
          writes: 'ask',
          reviewed: o.pin ? { refactor: o.pin } : {},
        },
      },
    }),
    'test',
  );
}

test('an unknown environment, a template the environment does not allow, and in production a template not reviewed or changed since: each refused with its code before anything runs', async (t) => {
  const executions: string[] = [];
  const agent = deployer();
  const pin = templateHash(template, { 'patch-applier': agent });
  const rig = await startRuntimeRig(t, {
    catalog: { 'patch-applier': agent },
    templates: { refactor: template },
    environments: environments({ pin: 'f'.repeat(64) }),
    guard: createTestOnlyGuard([{ argv: ['ls'] }]),
    runner: createTestOnlyRunner({ onRun: (argv) => executions.push(argv.join(' ')) }),
  });
  const cases: Array<[string, string | undefined, string]> = [
    ['staging', 'refactor', 'unknown_environment'],
    ['Prod;rm', 'refactor', 'unknown_environment'],
    ['preview', 'refactor', 'template_not_allowed'],
    ['production', 'refactor', 'template_not_reviewed'],
  ];
  for (const [environment, tpl, code] of cases) {
    const r = await rig.run(tpl as 'refactor', { environment });
    assert.deepEqual([r.status, r.errorCode], ['failed', code], environment);
    const [row] = await rig.query<{ environment: string; error_code: string }>(
      'SELECT environment, error_code FROM runtime.runs WHERE id = $1',
      [r.runId],
    );
    assert.deepEqual([row.environment, row.error_code], [environment, code]);
    const calls = await rig.query('SELECT 1 FROM runtime.tool_calls WHERE run_id = $1', [r.runId]);
    assert.equal(calls.length, 0, `${environment}: no tool call, nothing executed`);
    const steps = await rig.query<{ status: string }>('SELECT status FROM runtime.steps WHERE run_id = $1', [r.runId]);
    assert.ok(
      steps.every((s) => s.status === 'skipped'),
      'its steps never ran',
    );
  }
  assert.deepEqual(executions, []);
  assert.deepEqual(readdirSync(rig.workspaceDir), [], 'no workspace was even created');
  const finished = rig.events.filter((e) => e.event.type === 'workflow.finished').map((e) => (e.event as { errorCode: string }).errorCode);
  assert.deepEqual(
    finished,
    ['unknown_environment', 'unknown_environment', 'template_not_allowed', 'template_not_reviewed'],
    'codes cross, names do not',
  );
  assert.equal(JSON.stringify(rig.events).includes('staging'), false, 'the environment name never crosses');

  // Pinned with its current hash it is admitted; the pin no longer matches once an agent it runs changes.
  rig.deps.environments = environments({ pin });
  rig.deps.broker = { request: async () => ({ outcome: 'approved', note: 'test' }) };
  assert.equal((await rig.run('refactor', { environment: 'production' })).status, 'succeeded');
  rig.deps.catalog = { 'patch-applier': { ...agent, programs: ['ls', 'git', 'curl'] } };
  const changed = await rig.run('refactor', { environment: 'production' });
  assert.deepEqual([changed.status, changed.errorCode], ['failed', 'template_not_reviewed']);
  const sandbox = await rig.run('refactor');
  assert.equal(sandbox.status, 'succeeded', 'no environment named: sandbox, which needs no review');
  const [row] = await rig.query<{ environment: string }>('SELECT environment FROM runtime.runs WHERE id = $1', [sandbox.runId]);
  assert.equal(row.environment, 'sandbox');
});

test('production asks before every write: the write waits as a pending approval with its diff and runs once approved; the same template in sandbox writes without asking', async (t) => {
  const executions: string[] = [];
  const agent = deployer();
  const rig = await startRuntimeRig(t, {
    repoFiles: { 'deploy.txt': 'v1\n' },
    catalog: { 'patch-applier': agent },
    templates: { refactor: template },
    environments: environments({ pin: templateHash(template, { 'patch-applier': agent }) }),
    guard: createTestOnlyGuard([{ argv: ['ls'] }]),
    runner: createTestOnlyRunner({ onRun: (argv) => executions.push(argv.join(' ')) }),
    storedApprovals: { pollMs: 60_000 },
  });
  const sandbox = await rig.run('refactor');
  assert.equal(sandbox.status, 'succeeded');
  assert.equal((await rig.approvals.list({ status: 'all' })).length, 0, 'sandbox asked nothing');

  const running = rig.run('refactor', { environment: 'production' });
  const write = await waitFor('the write to be asked about', async () => (await rig.approvals.list())[0]);
  assert.deepEqual([write.tool, write.reason, write.environment], ['write_file', 'environment_policy', 'production']);
  assert.deepEqual(write.preview.paths, ['deploy.txt']);
  assert.match(write.preview.diff!, /--- a\/deploy\.txt\n\+\+\+ b\/deploy\.txt\n@@ -1,1 \+1,1 @@\n-v1\n\+v2\n/);
  await rig.approvals.decide(write.id, 'approved', { who: 'test', now: Date.now() });
  const command = await waitFor('the command to be asked about', async () => (await rig.approvals.list())[0]);
  assert.deepEqual([command.tool, command.preview.argv], ['run_command', [['ls']]], 'commands too: everything beyond reading');
  assert.equal(executions.length, 1, 'only the sandbox run’s ls has run so far');
  await rig.approvals.decide(command.id, 'rejected', { who: 'test', now: Date.now() });
  const done = await running;
  assert.equal(done.status, 'succeeded');
  const rec = (await rig.records.show(done.runId))!;
  assert.equal(rec.stepList[0].summary, 'write ok; command approval_rejected');
  assert.match(rec.patchList.map((p) => p.diff).join(''), /\+v2/, 'the approved write happened');
  assert.equal(executions.length, 1, 'the rejected command never ran');
});

test('the environment’s deadline applies: nobody decides, a warning is logged, the approval expires and the run fails with approval_timeout though the agent carried on; the write never happened', async (t) => {
  const { log, lines } = capturedLogger();
  const agent = deployer();
  const rig = await startRuntimeRig(t, {
    repoFiles: { 'deploy.txt': 'v1\n' },
    catalog: { 'patch-applier': agent },
    templates: { refactor: template },
    environments: environments({ pin: templateHash(template, { 'patch-applier': agent }), deadlineSeconds: 2, warnBeforeSeconds: 1 }),
    guard: createTestOnlyGuard([{ argv: ['ls'] }]),
    runner: createTestOnlyRunner(),
    storedApprovals: { pollMs: 50, log },
  });
  const t0 = Date.now();
  const r = await rig.run('refactor', { environment: 'production' });
  assert.deepEqual([r.status, r.errorCode], ['failed', 'approval_timeout']);
  assert.ok(Date.now() - t0 >= 1900, 'it waited for the deadline');
  const all = await rig.approvals.list({ status: 'all' });
  assert.equal(all.length, 1, 'after the expiry the step asked nothing more: its command was refused unasked');
  const [approval] = all;
  assert.equal(approval.status, 'expired');
  const warn = lines.find((l) => String(l.msg).startsWith('approval expires soon'));
  const expired = lines.find((l) => String(l.msg).startsWith('approval expired'));
  assert.ok(warn && expired, 'a warning, then the expiry, in the log');
  assert.ok(Date.parse(String(warn.time)) < Date.parse(approval.deadlineAt), 'the warning came before the deadline');
  const rec = (await rig.records.show(r.runId))!;
  assert.deepEqual([rec.stepList[0].status, rec.stepList[0].errorCode], ['failed', 'approval_timeout']);
  assert.equal(rec.patchList.length, 0, 'nothing was written');
  assert.deepEqual(
    rec.refusalList.map((g) => [g.tool, g.decision, g.reason, g.approval]),
    [['write_file', 'ask', 'environment_policy', 'timeout']],
  );
});

test('a run reads only its own environment’s secrets: sandbox cannot name production’s secret, production can (and a person sees the name, never the value)', async (t) => {
  const asked: ApprovalRequest[] = [];
  const agent = deployer('git push {{secret:DEPLOY_TOKEN}} main');
  const dir = mkdtempSync(join(tmpdir(), 'ap-env-secrets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const provider = createSecretsProvider(createFileSecretStore(join(dir, 'secrets.json')));
  await provider.put({ prefix: 'production/' }, 'DEPLOY_TOKEN', 'production-deploy-token');
  await provider.put({ prefix: 'sandbox/' }, 'NPM_TOKEN', 'sandbox-npm-token-value');
  const rig = await startRuntimeRig(t, {
    catalog: { 'patch-applier': agent },
    templates: { refactor: template },
    environments: environments({ pin: templateHash(template, { 'patch-applier': agent }) }),
    // No scope override: each run reads its environment's prefix.
    secrets: { provider },
    broker: {
      request: async (r) => {
        asked.push(r);
        return { outcome: r.tool === 'write_file' ? 'approved' : 'rejected', note: 'test' };
      },
    },
  });
  const sandbox = await rig.run('refactor');
  const sandboxRec = (await rig.records.show(sandbox.runId))!;
  assert.equal(sandboxRec.stepList[0].summary, 'write ok; command secret_unknown', 'production’s secret does not exist for a sandbox run');
  assert.equal(asked.length, 0);

  const prod = await rig.run('refactor', { environment: 'production' });
  const prodRec = (await rig.records.show(prod.runId))!;
  assert.equal(
    prodRec.stepList[0].summary,
    'write ok; command approval_rejected',
    'in production the secret exists; the push is put to a person',
  );
  const push = asked.find((a) => a.tool === 'run_command')!;
  assert.deepEqual(push.preview.secrets, ['DEPLOY_TOKEN']);
  assert.deepEqual(push.policy, { environment: 'production', writes: 'ask', actAloneFrom: 'assisted', autonomy: 'assisted' });
});

test('a runner stopping while a step waits gives the run back; the next delivery waits on the same approval, and once approved the action runs exactly once', async (t) => {
  const executions: string[] = [];
  const agent = deployer('git push origin main');
  const rig = await startRuntimeRig(t, {
    catalog: { 'patch-applier': agent },
    templates: { refactor: template },
    guard: createTestOnlyGuard([{ argv: ['git', 'push', 'origin', 'main'], consequences: ['push'] }]),
    runner: createTestOnlyRunner({ onRun: (argv) => executions.push(argv.join(' ')) }),
    storedApprovals: { pollMs: 60_000 },
  });
  const workflowId = newUlid();
  const first = rig.run('refactor', { workflowId });
  const pending = await waitFor('the push to be asked about', async () => (await rig.approvals.list())[0]);
  await rig.storedBroker!.close();
  await assert.rejects(
    first,
    (err: { code?: string; retryable?: boolean }) => err.code === 'approval_interrupted' && err.retryable === true,
  );
  const [run] = await rig.query<{ status: string }>('SELECT status FROM runtime.runs WHERE id = $1', [workflowId]);
  assert.equal(run.status, 'running', 'not failed: given back for another delivery');
  assert.equal(existsSync(join(rig.workspaceDir, workflowId)), false, 'its workspace was removed');

  const { createStoredBroker } = await import('../../../customer-plane/approvals/broker.ts');
  const next = createStoredBroker({ db: rig.pool, environments: rig.deps.environments, log: rig.deps.log, pollMs: 60_000 });
  rig.deps.broker = next;
  const second = rig.run('refactor', { workflowId });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await rig.approvals.list({ status: 'all' })).length, 1, 'the resumed step waits on the same approval');
  await rig.approvals.decide(pending.id, 'approved', { who: 'test', now: Date.now() });
  const done = await second;
  await next.close();
  assert.deepEqual([done.status, done.errorCode], ['succeeded', 'none']);
  assert.deepEqual(executions, ['git push origin main'], 'the approved push ran once');
});
