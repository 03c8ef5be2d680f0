import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { dispatchQueueSubject } from '../../../control-plane/hub/streams.ts';
import { createFileSecretStore } from '../../../customer-plane/secrets/file-store.ts';
import { createSecretsProvider } from '../../../customer-plane/secrets/provider.ts';
import { ROOT } from '../../../scripts/topology/boundary-rig.ts';
import { newUlid } from '../../../shared/ids.ts';
import { startInProcessControlPlane } from '../../support/control-plane.ts';
import { startRuntimeRig } from '../../support/runtime-rig.ts';
import { llmAgent } from '../../support/scripted-llm.ts';
import { createTestOnlyRunner } from '../../support/test-commands.ts';

const SECRET = `deploy-${randomBytes(12).toString('hex')}`;

function cli(args: string[], env: Record<string, string>, stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'customer-plane/cli/runs.ts'), ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/** The one agent of these runs: a model step whose only command is `echo`, so what a run does with a secret shows in argv. */
const deployer = llmAgent({ purpose: 'test', tools: ['run_command'], programs: ['echo'], prompt: 'You deploy.' });
const template = {
  name: 'diagnose-and-fix' as const,
  description: 'test',
  steps: [{ id: 'deploy', agent: 'bug-diagnoser' as const, needs: [] }],
};

test('inputs given locally reach the run by id only: parameters stay in the local database, the secret in the store, used by reference, masked, deleted when the run ends, and the id works once', async (t) => {
  const argvs: string[][] = [];
  const prompts: string[] = [];
  const outputs: string[] = [];
  const stateDir = mkdtempSync(join(tmpdir(), 'ap-inputs-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const backend = createFileSecretStore(join(stateDir, 'secrets.json'));
  const rig = await startRuntimeRig(t, {
    inputsBackend: backend,
    secrets: { provider: createSecretsProvider(backend) },
    catalog: { 'bug-diagnoser': deployer },
    templates: { 'diagnose-and-fix': template },
    runner: createTestOnlyRunner({ onRun: (argv) => argvs.push(argv) }),
    script: (req) => {
      if (req.messages.length === 2) {
        prompts.push(JSON.stringify(req.messages));
        return { toolCalls: [{ name: 'run_command', arguments: '{"command":"echo deploying {{secret:DEPLOY_KEY}}"}' }] };
      }
      outputs.push(...req.messages.filter((m) => m.role === 'tool').map((m) => JSON.parse(m.content).content));
      return { content: JSON.stringify({ summary: 'deployed', findings: [], patches: [] }) };
    },
  });
  const env = { DATABASE_URL: rig.databaseUrl, STATE_DIR: stateDir };

  // Bad input first: nothing is stored for it.
  const short = await cli(['inputs', 'put', '--secret', 'DEPLOY_KEY'], env, 'tiny42\n');
  assert.equal(short.code, 2);
  assert.match(short.stderr, /secret DEPLOY_KEY: a secret value must be at least 8 characters/);
  assert.ok(!short.stderr.includes('tiny42'), 'the value is not echoed');
  const missing = await cli(['inputs', 'put', '--secret', 'A', '--secret', 'B'], env, `${SECRET}\n`);
  assert.deepEqual([missing.code, /expected 2 values on stdin/.test(missing.stderr)], [2, true]);
  assert.deepEqual(await backend.list(''), [], 'no secret was written for refused inputs');

  const put = await cli(
    ['inputs', 'put', '--template', 'diagnose-and-fix', '--param', 'BRANCH=release-7', '--secret', 'DEPLOY_KEY'],
    env,
    `${SECRET}\n`,
  );
  assert.equal(put.code, 0, put.stderr);
  const id = put.stdout.trim();
  assert.match(id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  const shown = await cli(['inputs', 'show', id], env);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /param {2}BRANCH=release-7/);
  assert.match(shown.stdout, /secret DEPLOY_KEY \(value in the secret store/);
  assert.ok(!shown.stdout.includes(SECRET), 'show prints names, never the value');
  assert.equal(await backend.get(`run-inputs/${id}/DEPLOY_KEY`), SECRET, 'the value is in the secret store');
  const row = (await rig.query<{ r: string }>('SELECT row_to_json(i)::text AS r FROM runtime.run_inputs i WHERE id = $1', [id]))[0]!.r;
  assert.ok(!row.includes(SECRET), 'the database holds the name only');

  const run = await rig.run('diagnose-and-fix', { inputs: id });
  assert.deepEqual([run.status, run.errorCode], ['succeeded', 'none']);
  assert.match(prompts[0]!, /release-7/, 'the parameter reached the step');
  assert.match(prompts[0]!, /Secrets your commands may use.*DEPLOY_KEY/);
  assert.ok(!prompts.join('').includes(SECRET));
  assert.deepEqual(argvs, [['echo', 'deploying', SECRET]], 'the command got the value');
  assert.equal(outputs[0], 'deploying [masked:DEPLOY_KEY]\n[exit 0]', 'the model got the mask');
  assert.equal(await backend.get(`run-inputs/${id}/DEPLOY_KEY`), undefined, 'the value was deleted when the run ended');
  assert.match((await cli(['inputs', 'show', id], env)).stdout, new RegExp(`used by run ${run.runId} \\(secret values deleted\\)`));

  const again = await rig.run('diagnose-and-fix', { inputs: id });
  assert.deepEqual([again.status, again.errorCode], ['failed', 'inputs_not_found'], 'inputs are single-use');
  const unknown = await rig.run('diagnose-and-fix', { inputs: newUlid() });
  assert.deepEqual([unknown.status, unknown.errorCode], ['failed', 'inputs_not_found']);
  const other = await cli(['inputs', 'put', '--template', 'code-review', '--param', 'X=1'], env);
  const wrongTemplate = await rig.run('diagnose-and-fix', { inputs: other.stdout.trim() });
  assert.deepEqual([wrongTemplate.status, wrongTemplate.errorCode], ['failed', 'inputs_not_found'], 'inputs tied to another template');
  assert.equal(argvs.length, 1, 'no command ran for a refused run');
});

test('the control plane carries the inputs id and nothing else: a value in its place is refused, the queued dispatch holds only the id', async (t) => {
  const h = await startInProcessControlPlane();
  t.after(() => h.stop());
  const post = async (path: string, token: string, body: unknown) => {
    const res = await fetch(h.url + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const op = await h.operatorToken();
  const tenant = (await post('/v1/tenants', op, { name: 'inputs' })).body.tenant.id as string;
  const api = (await post(`/v1/tenants/${tenant}/tokens`, op, { typ: 'api' })).body.token as string;

  for (const inputs of [SECRET, { DEPLOY_KEY: SECRET }, [SECRET]]) {
    const refused = await post('/v1/workflows', api, { template: 'code-review', repo: 'sample', inputs });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, /inputs/);
    assert.ok(!JSON.stringify(refused.body).includes(SECRET), 'the refusal does not echo the value');
  }
  const id = newUlid();
  const created = await post('/v1/workflows', api, { template: 'code-review', repo: 'sample', inputs: id });
  assert.equal(created.status, 202);
  const jsm = await jetstream(h.cp.nc).jetstreamManager();
  const msg = await jsm.streams.getMessage('AP_DISPATCH', { last_by_subj: dispatchQueueSubject(tenant) });
  const dispatch = JSON.parse(new TextDecoder().decode(msg!.data));
  assert.deepEqual(Object.keys(dispatch).sort(), ['inputs', 'repo', 'requestedAt', 'template', 'tenant', 'workflowId']);
  assert.equal(dispatch.inputs, id);
  assert.ok(!h.logs().includes(SECRET));
});
