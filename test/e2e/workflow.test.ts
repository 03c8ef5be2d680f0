import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATE_DEFINITIONS } from '../../agents/templates/index.ts';
import { startTopology, type Topology } from '../../scripts/topology/local-topology.ts';

let topo: Topology;
before(async () => {
  // These tests follow live LLM calls (failover, routing): model turns are not reused from memory here
  // (reuse has its own tests in test/integration/runtime/memory-reuse.test.ts). Memory still records.
  topo = await startTopology({ logLevel: 'info', customerEnv: { MEMORY_REUSE: 'false' } });
});
after(() => topo?.stop());

async function query(sql: string, params: unknown[] = [], url = topo.databaseUrl) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

test('a dispatched code-review workflow runs every step of its template in the customer plane, and only its counts and codes land in Postgres', async () => {
  const res = await topo.api('/v1/workflows', { token: topo.apiToken, body: { template: 'code-review', repo: 'sample' } });
  assert.equal(res.status, 202);
  const wf = await topo.waitForWorkflow(res.body.id);
  assert.equal(wf.status, 'succeeded');
  assert.deepEqual(
    wf.steps.map((s: { agent: string }) => s.agent),
    TEMPLATE_DEFINITIONS['code-review'].steps.map((s) => s.agent),
  );
  for (const s of wf.steps) assert.deepEqual([s.agent, s.status, s.refusals], [s.agent, 'succeeded', 0]);
  const step = (agent: string) => wf.steps.find((s: { agent: string }) => s.agent === agent);
  const reviewer = step('reviewer');
  // The reviewer's loop: one turn calling a tool (the fake calls the first one offered), one turn answering.
  assert.equal(reviewer.llmCalls, 2);
  assert.equal(reviewer.toolCalls, 1);
  assert.ok(reviewer.inputTokens > 0, 'the reviewer used the LLM through the gateway');
  assert.ok(
    wf.steps.filter((s: { agent: string }) => s.agent !== 'reviewer').every((s: { llmCalls: number }) => s.llmCalls === 0),
    'the scanners and runners need no model',
  );
  // What each step did crossed as counts and codes: gate decisions per tool and reason, findings per severity.
  const gate = wf.gate.map((g: any) => [g.agent, g.tool, g.decision, g.reason, g.approval]);
  assert.ok(
    gate.every(([, , decision, reason]: string[]) => decision === 'allow' && reason === 'allowed'),
    JSON.stringify(gate),
  );
  assert.deepEqual(
    wf.gate.filter((g: any) => g.tool === 'run_command').map((g: any) => [g.agent, g.count]),
    [['lint-runner', 1]],
    'the lint script ran (in the sandbox) and only that it was allowed crossed',
  );
  assert.deepEqual(step('injection-scanner').findings, { info: 0, low: 0, medium: 0, high: 1, critical: 0 });
  assert.deepEqual(step('secret-scanner').findings, { info: 0, low: 0, medium: 0, high: 0, critical: 0 });

  // The customer plane's memory recorded the run, locally: its episode and each agent's record in the sandbox.
  const [episode] = await query(
    'SELECT status, steps, llm_calls FROM memory.episodes WHERE run_id = $1',
    [wf.id],
    topo.customerDatabaseUrl,
  );
  assert.deepEqual(episode, { status: 'succeeded', steps: wf.steps.length, llm_calls: 2 });
  const standing = await query(
    "SELECT agent FROM memory.standing WHERE environment = 'sandbox' ORDER BY agent",
    [],
    topo.customerDatabaseUrl,
  );
  assert.deepEqual(
    standing.map((r) => r.agent),
    [...new Set(wf.steps.map((s: { agent: string }) => s.agent))].sort(),
  );
  const [row] = await query('SELECT status, error_code, tenant_id, duration_ms FROM workflows WHERE id = $1', [wf.id]);
  assert.equal(row.status, 'succeeded');
  assert.equal(row.error_code, null);
  assert.equal(row.tenant_id, topo.tenant);
  const steps = await query('SELECT agent, status FROM workflow_steps WHERE workflow_id = $1 ORDER BY idx', [wf.id]);
  assert.deepEqual(
    steps,
    wf.steps.map((s: { agent: string }) => ({ agent: s.agent, status: 'succeeded' })),
  );
  // Everything stored came in signed batches from this tenant's registered key.
  const batches = await query('SELECT b.kind, k.tenant_id FROM up_batches b JOIN tenant_keys k ON k.kid = b.kid');
  assert.ok(batches.length >= 1);
  for (const b of batches) assert.equal(b.tenant_id, topo.tenant);
  const events = await query("SELECT body FROM up_events WHERE kind = 'meta' AND body->>'workflowId' = $1", [wf.id]);
  const n = wf.steps.length;
  assert.deepEqual(events.map((e) => e.body.type).sort(), [
    ...Array(n).fill('gate.decisions'),
    ...Array(n).fill('step.finished'),
    'workflow.finished',
    'workflow.started',
  ]);
  // Direct mode: the customer's own keys were used, and only the call's counts crossed, as a usage counter.
  let usage: any[] = [];
  for (let i = 0; i < 50 && usage.length < 2; i++) {
    usage = await query("SELECT body FROM up_events WHERE kind = 'usage' AND tenant_id = $1", [topo.tenant]);
    if (usage.length < 2) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(usage.length, 2, 'one usage counter per model turn');
  const sum = (k: string) => usage.reduce((n, u) => n + u.body[k], 0);
  assert.deepEqual(Object.keys(usage[0].body).sort(), [
    'cacheCreationTokens',
    'cachedInputTokens',
    'day',
    'eventId',
    'failovers',
    'inputTokens',
    'outputTokens',
    'provider',
    'requests',
    'tier',
  ]);
  assert.equal(usage[0].body.provider, 'openai');
  assert.equal(usage[0].body.requests, 1);
  assert.equal(sum('inputTokens') + sum('cachedInputTokens') + sum('cacheCreationTokens'), reviewer.inputTokens);
  assert.equal(sum('outputTokens'), reviewer.outputTokens);
  // The tenant's usage report lists those direct calls beside any routed ones.
  const report = await topo.api('/v1/usage', { token: topo.apiToken });
  assert.equal(report.status, 200);
  const direct = report.body.data.filter((r: { route: string }) => r.route === 'direct');
  assert.deepEqual(direct, [
    {
      day: usage[0].body.day,
      route: 'direct',
      provider: 'openai',
      model: null,
      tier: usage[0].body.tier,
      requests: 2,
      cancelled_requests: 0,
      estimated_requests: 0,
      input_tokens: sum('inputTokens'),
      cached_input_tokens: sum('cachedInputTokens'),
      cache_creation_tokens: sum('cacheCreationTokens'),
      output_tokens: sum('outputTokens'),
      failovers: 0,
    },
  ]);
  // The ephemeral workspace is gone; the outputs stayed in the customer plane's own database.
  assert.deepEqual(readdirSync(join(topo.workDir, 'customer-plane', 'workspaces')), []);
  const [run] = await query('SELECT status, error_code FROM runtime.runs WHERE id = $1', [wf.id], topo.customerDatabaseUrl);
  assert.deepEqual(run, { status: 'succeeded', error_code: 'none' });
  const local = await query(
    'SELECT agent, status, output FROM runtime.steps WHERE run_id = $1 ORDER BY idx',
    [wf.id],
    topo.customerDatabaseUrl,
  );
  assert.deepEqual(
    local.map((r) => [r.agent, r.status]),
    wf.steps.map((s: { agent: string }) => [s.agent, 'succeeded']),
  );
  const out = (agent: string) => local.find((r) => r.agent === agent).output;
  assert.equal(out('indexer').data.files.length, 6, 'the index (with file paths) is in the local record only');
  assert.deepEqual(
    out('injection-scanner').findings.map((f: { rule: string; file: string; line: number }) => [f.rule, f.file, f.line]),
    [['injection/sql', 'src/users.js', 2]],
    'the finding with its file and line stayed local; only its severity count crossed',
  );
  assert.deepEqual(out('lint-runner').data.runs, [{ command: 'npm run lint', problems: 0 }]);
  assert.match(out('reviewer').summary, /^Fake review/, 'the reviewer’s answer was structured output valid for its schema');
});

test('a workflow that fails ends as failed with an error code, visible through the API', async () => {
  const res = await topo.api('/v1/workflows', { token: topo.apiToken, body: { template: 'code-review', repo: 'no-such-repo' } });
  assert.equal(res.status, 202);
  const wf = await topo.waitForWorkflow(res.body.id);
  assert.equal(wf.status, 'failed');
  assert.equal(wf.errorCode, 'repo_not_found');
});

test('the reviewer fails over to Anthropic when OpenAI returns 500, and the workflow still succeeds', async (t) => {
  topo.openai.setFault({ status: 500 });
  t.after(() => topo.openai.setFault(null));
  const before = topo.anthropic.requests.count;
  const res = await topo.api('/v1/workflows', { token: topo.apiToken, body: { template: 'code-review', repo: 'sample' } });
  const wf = await topo.waitForWorkflow(res.body.id);
  assert.equal(wf.status, 'succeeded');
  assert.ok(topo.anthropic.requests.count > before, 'the secondary provider served the call');
});

test('in routed mode the reviewer reaches the LLM through the control-plane proxy with its agent token', async (t) => {
  const routed = await startTopology({ customerEnv: { LLM_MODE: 'routed' }, logLevel: 'info' });
  t.after(() => routed.stop());
  const res = await routed.api('/v1/workflows', { token: routed.apiToken, body: { template: 'code-review', repo: 'sample' } });
  const wf = await routed.waitForWorkflow(res.body.id);
  assert.equal(wf.status, 'succeeded');
  assert.ok(wf.steps.find((s: { agent: string }) => s.agent === 'reviewer').inputTokens > 0);
  assert.match(routed.control.output(), /"msg":"llm request finished"/, 'the call went through the proxy');
});

test('a workflow dispatched while the customer plane is down waits on the hub and runs once the plane is back', async () => {
  await topo.stopCustomer();
  const res = await topo.api('/v1/workflows', { token: topo.apiToken, body: { template: 'index-only', repo: 'sample' } });
  assert.equal(res.status, 202);
  await new Promise((r) => setTimeout(r, 1500));
  const queued = await topo.api(`/v1/workflows/${res.body.id}`, { token: topo.apiToken });
  assert.equal(queued.body.status, 'queued');
  assert.ok(queued.body.dispatchAttempts >= 1, 'the hub kept re-sending while nobody took it');
  await topo.startCustomer();
  const wf = await topo.waitForWorkflow(res.body.id);
  assert.equal(wf.status, 'succeeded');
  assert.deepEqual(
    wf.steps.map((s: { agent: string }) => s.agent),
    ['indexer'],
  );
});

test('the request id of the POST that started a workflow appears as reqId in the customer plane logs of that run', async () => {
  const requestId = `req-${Date.now()}`;
  const res = await fetch(`${topo.apiUrl}/v1/workflows`, {
    method: 'POST',
    headers: { authorization: `Bearer ${topo.apiToken}`, 'content-type': 'application/json', 'x-request-id': requestId },
    body: JSON.stringify({ template: 'index-only', repo: 'sample' }),
  });
  assert.equal(res.headers.get('x-request-id'), requestId);
  const { id } = (await res.json()) as { id: string };
  await topo.waitForWorkflow(id);
  const lines = topo.customer
    .output()
    .split('\n')
    .filter((l) => l.includes(id));
  assert.ok(
    lines.some((l) => l.includes(`"reqId":"${requestId}"`) && l.includes('workflow finished')),
    'the run is joined to the request',
  );
});
