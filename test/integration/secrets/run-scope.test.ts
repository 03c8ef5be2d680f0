import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createAwsSecretStore } from '../../../customer-plane/secrets/aws-store.ts';
import { SecretsUnavailableError } from '../../../customer-plane/secrets/errors.ts';
import { createFileSecretStore } from '../../../customer-plane/secrets/file-store.ts';
import { createSecretsProvider, type SecretScope } from '../../../customer-plane/secrets/provider.ts';
import { FAKE_AWS_CREDENTIALS, FAKE_AWS_REGION, startFakeSecretsManager } from '../../../scripts/fakes/index.ts';
import { newUlid } from '../../../shared/ids.ts';
import { startRuntimeRig } from '../../support/runtime-rig.ts';
import { llmAgent } from '../../support/scripted-llm.ts';
import { createTestOnlyRunner } from '../../support/test-commands.ts';

/** The one agent of these runs: a model step whose only command is `echo`, so what a run does with a secret shows in argv. */
const agent = llmAgent({ purpose: 'test', tools: ['run_command'], programs: ['echo'], prompt: 'You deploy.' });
const templates = {
  'diagnose-and-fix': {
    name: 'diagnose-and-fix' as const,
    description: 'test',
    steps: [{ id: 'deploy', agent: 'bug-diagnoser' as const, needs: [] }],
  },
};
const done = { content: JSON.stringify({ summary: 'done', findings: [], patches: [] }) };

test('a run in one environment cannot read another environment’s secrets: the same name gives its own scope’s value, a name only production has is unknown to a sandbox run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ap-scope-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const provider = createSecretsProvider(createFileSecretStore(join(dir, 'secrets.json')));
  const sandbox: SecretScope = { prefix: 'sandbox/' };
  const production: SecretScope = { prefix: 'production/' };
  await provider.put(sandbox, 'DEPLOY_KEY', 'sandbox-deploy-key');
  await provider.put(production, 'DEPLOY_KEY', 'production-deploy-key');
  await provider.put(production, 'PROD_ONLY', 'production-only-key');
  const scopeOf = new Map<string, SecretScope>();
  const argvs: string[][] = [];
  const replies: Array<{ kind: string; reason?: string }> = [];
  const prompts: string[] = [];
  const rig = await startRuntimeRig(t, {
    catalog: { 'bug-diagnoser': agent },
    templates,
    runner: createTestOnlyRunner({ onRun: (argv) => argvs.push(argv) }),
    secrets: { provider, scopeFor: (d) => scopeOf.get(d.workflowId)! },
    script: (req) => {
      if (req.messages.length === 2) {
        prompts.push(req.messages[1]!.content);
        return {
          toolCalls: [
            { name: 'run_command', arguments: '{"command":"echo {{secret:DEPLOY_KEY}}"}' },
            { name: 'run_command', arguments: '{"command":"echo {{secret:PROD_ONLY}}"}' },
          ],
        };
      }
      replies.push(...req.messages.filter((m) => m.role === 'tool').map((m) => JSON.parse(m.content)));
      return done;
    },
  });

  const inSandbox = newUlid();
  scopeOf.set(inSandbox, sandbox);
  assert.equal((await rig.run('diagnose-and-fix', { workflowId: inSandbox })).status, 'succeeded');
  assert.deepEqual(argvs, [['echo', 'sandbox-deploy-key']], 'the sandbox value, and no command for the production-only name');
  assert.deepEqual(
    replies.map((r) => [r.kind, r.reason ?? null]),
    [
      ['untrusted_data', null],
      ['refusal', 'secret_unknown'],
    ],
  );
  assert.match(prompts[0]!, /may use.*: DEPLOY_KEY$/m, 'the sandbox run is told of its own names only');

  const inProduction = newUlid();
  scopeOf.set(inProduction, production);
  argvs.length = 0;
  replies.length = 0;
  assert.equal((await rig.run('diagnose-and-fix', { workflowId: inProduction })).status, 'succeeded');
  assert.deepEqual(argvs, [
    ['echo', 'production-deploy-key'],
    ['echo', 'production-only-key'],
  ]);
  assert.match(prompts[1]!, /may use.*: DEPLOY_KEY, PROD_ONLY$/m);
});

test('a secret store that cannot be read at a run’s start puts the run back (retryable), it does not fail it; the run goes on once the store answers', async (t) => {
  const fake = await startFakeSecretsManager();
  t.after(() => fake.close());
  const client = new SecretsManagerClient({
    region: FAKE_AWS_REGION,
    endpoint: fake.endpoint,
    credentials: { ...FAKE_AWS_CREDENTIALS },
    maxAttempts: 1,
  });
  const provider = createSecretsProvider(createAwsSecretStore({ prefix: 'agentplane/', client }));
  await provider.put({ prefix: 'sandbox/' }, 'DEPLOY_KEY', 'aws-held-deploy-key');
  const argvs: string[][] = [];
  const rig = await startRuntimeRig(t, {
    catalog: { 'bug-diagnoser': agent },
    templates,
    runner: createTestOnlyRunner({ onRun: (argv) => argvs.push(argv) }),
    secrets: { provider },
    script: (req) =>
      req.messages.length === 2 ? { toolCalls: [{ name: 'run_command', arguments: '{"command":"echo {{secret:DEPLOY_KEY}}"}' }] } : done,
  });
  const id = newUlid();
  fake.setFault({ status: 503, body: { __type: 'ServiceUnavailable', message: 'down' } });
  await assert.rejects(rig.run('diagnose-and-fix', { workflowId: id }), (e) => e instanceof SecretsUnavailableError && e.retryable);
  const [row] = await rig.query<{ status: string }>('SELECT status FROM runtime.runs WHERE id = $1', [id]);
  assert.equal(row!.status, 'running', 'the run is not failed: its work message is redelivered');
  assert.equal(argvs.length, 0);
  fake.setFault(null);
  const again = await rig.run('diagnose-and-fix', { workflowId: id });
  assert.deepEqual([again.status, again.errorCode], ['succeeded', 'none']);
  assert.deepEqual(argvs, [['echo', 'aws-held-deploy-key']], 'the value was read from Secrets Manager when the command started');
});
