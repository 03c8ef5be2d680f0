import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentOutputSchema, type DeterministicAgent, type WorkflowTemplate } from '../../agents/types.ts';
import { templateHash } from '../../customer-plane/environments/template-hash.ts';
import {
  bounded,
  createTenant,
  operatorIssuer,
  startControlInProcess,
  startCustomerInProcess,
  startTestHub,
  tempDir,
  waitFor,
} from '../../scripts/topology/boundary-rig.ts';
import { createTestDatabase } from '../../scripts/topology/scratch-database.ts';
import { createTestOnlyGuard, createTestOnlyRunner } from '../support/test-commands.ts';

/**
 * Both planes, the hub and a leaf: a workflow dispatched through the control plane's API names its
 * environment; in production its write waits as a pending approval that a person approves through the
 * customer plane's local API, and the run finishes; an environment the customer plane does not have
 * ends the workflow with unknown_environment. Only codes and counts reach the control plane.
 */
const writer: DeterministicAgent = {
  name: 'patch-applier',
  kind: 'deterministic',
  tier: null,
  purpose: 'writes the release file',
  tools: ['write_file'],
  budget: { maxSteps: 5, maxTokens: 0 },
  output: agentOutputSchema,
  async run(ctx) {
    const r = await ctx.tools.call('write_file', { path: 'RELEASE', content: 'v2\n' });
    return { summary: r.ok ? 'released' : `refused: ${r.reason}`, findings: [], patches: [] };
  },
};
const release: WorkflowTemplate = {
  name: 'refactor',
  description: 'release',
  steps: [{ id: 'release', agent: 'patch-applier', needs: [] }],
};

test('a production workflow dispatched through the API waits for a person, who approves it through the local API; an unknown environment is refused with its code', async () => {
  const dir = tempDir('e2e-appr');
  const cpDb = await createTestDatabase('e2eappr');
  const hub = await startTestHub(join(dir.path, 'hub'));
  const { keysJson, operatorToken } = await operatorIssuer();
  const stops: Array<() => Promise<void>> = [];
  try {
    const control = await startControlInProcess({ databaseUrl: cpDb.url, hub, stateDir: join(dir.path, 'cp'), keysJson });
    stops.push(() => control.stop());
    const op = await operatorToken();
    const { tenant, enrollToken } = await createTenant(control.url, op, 'approvals-e2e');
    const api = async (path: string, token: string, body?: unknown) => {
      const res = await fetch(control.url + path, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const apiToken = (await api(`/v1/tenants/${tenant}/tokens`, op, { typ: 'api', ttlSeconds: 600 })).body.token as string;

    const repo = join(dir.path, 'repo');
    mkdirSync(repo);
    writeFileSync(join(repo, 'RELEASE'), 'v1\n');
    const envFile = join(dir.path, 'environments.yaml');
    writeFileSync(
      envFile,
      [
        'environments:',
        '  sandbox:',
        '    secrets: { prefix: sandbox/ }',
        '    templates: [refactor]',
        '    approval: { deadlineSeconds: 600, warnBeforeSeconds: 60 }',
        '    writes: allow',
        '  production:',
        '    secrets: { prefix: production/ }',
        '    templates: [refactor]',
        '    approval: { deadlineSeconds: 600, warnBeforeSeconds: 60 }',
        '    writes: ask',
        `    reviewed: { refactor: ${templateHash(release, { 'patch-applier': writer })} }`,
      ].join('\n'),
    );
    const stateDir = join(dir.path, 'customer');
    const customer = await startCustomerInProcess({
      apiUrl: control.url,
      tenant,
      enrollToken,
      stateDir,
      env: { REPOS: `sample=${repo}`, ENVIRONMENTS_FILE: envFile, LOCAL_API_PORT: '0' },
      runtime: {
        catalog: { 'patch-applier': writer },
        templates: { refactor: release },
        guard: createTestOnlyGuard([]),
        commandRunner: createTestOnlyRunner(),
      },
    });
    stops.push(() => customer.stop());
    const localUrl = customer.plane.localApiUrl!;
    assert.match(localUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    const adminSecret = JSON.parse(readFileSync(join(stateDir, 'secrets.json'), 'utf8'))['local-admin-secret'] as string;
    const local = async (path: string, o: { token?: string; post?: boolean } = {}) => {
      const res = await fetch(localUrl + path, {
        method: o.post ? 'POST' : 'GET',
        headers: o.token === undefined ? {} : { authorization: `Bearer ${o.token}` },
      });
      return { status: res.status, body: (await res.json()) as any };
    };

    const started = await api('/v1/workflows', apiToken, { template: 'refactor', repo: 'sample', environment: 'production' });
    assert.deepEqual([started.status, started.body.environment], [202, 'production']);
    const pending = await waitFor(
      'the production write to wait for a person',
      async () => (await local('/v1/approvals', { token: adminSecret })).body.approvals?.[0],
      60_000,
      100,
    );
    assert.deepEqual(
      [pending.tool, pending.reason, pending.environment, pending.runId],
      ['write_file', 'environment_policy', 'production', started.body.id],
    );
    assert.equal((await local('/v1/approvals', { token: apiToken })).status, 401, 'the vendor’s API token is nothing to the local API');
    assert.equal((await local(`/v1/approvals/${pending.id}/approve`, { token: apiToken, post: true })).status, 401);
    const shown = await local(`/v1/approvals/${pending.id}`, { token: adminSecret });
    assert.match(shown.body.approval.preview.diff, /-v1\n\+v2\n/);
    const approved = await local(`/v1/approvals/${pending.id}/approve`, { token: adminSecret, post: true });
    assert.equal(approved.body.approval.status, 'approved');
    const done = await waitFor(
      'the workflow to finish',
      async () => {
        const r = await api(`/v1/workflows/${started.body.id}`, apiToken);
        return r.body.status === 'succeeded' || r.body.status === 'failed' ? r.body : undefined;
      },
      60_000,
      200,
    );
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(
      done.gate.map((g: any) => [g.tool, g.decision, g.reason, g.approval, g.count]),
      [['write_file', 'ask', 'environment_policy', 'approved', 1]],
      'the control plane sees that a person approved a write, not what it wrote',
    );
    assert.equal(JSON.stringify(done).includes('production'), false, 'the environment name does not cross up');

    const unknown = await api('/v1/workflows', apiToken, { template: 'refactor', repo: 'sample', environment: 'staging' });
    assert.equal(unknown.status, 202, 'the control plane does not know the customer’s environments');
    const refused = await waitFor(
      'the unknown environment to be refused',
      async () => {
        const r = await api(`/v1/workflows/${unknown.body.id}`, apiToken);
        return r.body.status === 'failed' ? r.body : undefined;
      },
      60_000,
      200,
    );
    assert.equal(refused.errorCode, 'unknown_environment');
    const bad = await api('/v1/workflows', apiToken, { template: 'refactor', repo: 'sample', environment: 'Prod; rm -rf' });
    assert.deepEqual([bad.status, bad.body.error.code], [400, 'invalid_request']);

    const sandbox = await api('/v1/workflows', apiToken, { template: 'refactor', repo: 'sample' });
    assert.equal(sandbox.body.environment, 'sandbox', 'an old client’s request runs in sandbox');
    const ran = await waitFor(
      'the sandbox run',
      async () => {
        const r = await api(`/v1/workflows/${sandbox.body.id}`, apiToken);
        return r.body.status === 'succeeded' || r.body.status === 'failed' ? r.body : undefined;
      },
      60_000,
      200,
    );
    assert.equal(ran.status, 'succeeded');
    assert.deepEqual(
      ran.gate.map((g: any) => [g.tool, g.decision]),
      [['write_file', 'allow']],
      'sandbox writes without asking',
    );
  } finally {
    for (const stop of stops.reverse()) await bounded(stop());
    await bounded(hub.stop());
    await cpDb.drop();
    dir.remove();
  }
});
