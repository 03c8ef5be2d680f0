// What the control plane records of a workflow, written directly against a scratch Postgres with the
// control plane's migrations: the dispatch bookkeeping the relay uses (status, attempts, undeliverable)
// and the projection of the customer plane's verified events (started, heartbeat, finished, steps, gate
// tallies). Events arrive more than once and out of order, so each rule is tried against every state:
// a finished workflow is never moved back to running, except one the control plane itself timed out
// for silence (`customer_plane_silent`), whose real outcome replaces the time-out.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Db } from '../../../control-plane/db/pool.ts';
import { projectWorkflowEvent, type WorkflowStore } from '../../../control-plane/db/workflows.ts';
import type { WorkflowEvent } from '../../../shared/boundary.ts';
import { newUlid } from '../../../shared/ids.ts';
import { controlPlaneDatabase } from '../../support/control-plane-db.ts';

let h: Awaited<ReturnType<typeof controlPlaneDatabase>>;
let db: Db;
let workflows: WorkflowStore;
before(async () => {
  h = await controlPlaneDatabase();
  db = h.db;
  workflows = h.workflows;
});
after(() => h.close());

// The code the API shows for a run timed out for silence: a contract, so written out, not imported.
const SILENT = 'customer_plane_silent';
const AT = Date.UTC(2026, 10, 3, 9, 0, 0);

async function project(e: WorkflowEvent, tenantId = h.tenant): Promise<void> {
  const client = await db.connect();
  try {
    await projectWorkflowEvent(client, tenantId, e);
  } finally {
    client.release();
  }
}

/** The workflow's row as epoch ms where it is a time. */
async function row(id: string) {
  const { rows } = await db.query(
    `SELECT status, error_code, dispatch_attempts, duration_ms, steps,
       (extract(epoch FROM started_at) * 1000)::bigint::float8 AS started,
       (extract(epoch FROM finished_at) * 1000)::bigint::float8 AS finished,
       (extract(epoch FROM last_report_at) * 1000)::bigint::float8 AS reported
     FROM workflows WHERE id = $1`,
    [id],
  );
  return rows[0];
}

async function setState(id: string, status: string, errorCode: string | null, reportedSecondsAgo = 3600): Promise<void> {
  await db.query(
    `UPDATE workflows SET status = $2, error_code = $3, finished_at = CASE WHEN $2 IN ('succeeded', 'failed') THEN now() END,
       last_report_at = now() - make_interval(secs => $4)
     WHERE id = $1`,
    [id, status, errorCode, reportedSecondsAgo],
  );
}

const started = (workflowId: string, at = AT): WorkflowEvent => ({
  type: 'workflow.started',
  eventId: newUlid(),
  workflowId,
  template: 'code-review',
  at,
});
const heartbeat = (workflowId: string): WorkflowEvent => ({ type: 'workflow.heartbeat', eventId: newUlid(), workflowId, at: AT });
const finished = (workflowId: string, status: 'succeeded' | 'failed', errorCode: 'none' | 'agent_error' = 'none'): WorkflowEvent => ({
  type: 'workflow.finished',
  eventId: newUlid(),
  workflowId,
  template: 'code-review',
  status,
  errorCode,
  at: AT + 60_000,
  durationMs: 45_000,
  steps: 3,
});

const nowMs = async (): Promise<number> => Number((await db.query('SELECT (extract(epoch FROM now()) * 1000)::float8 AS n')).rows[0].n);

test('the relay reads a workflow’s status: queued once stored, undefined for one never stored', async () => {
  const id = await h.queuedWorkflow();
  assert.equal(await workflows.status(id), 'queued');
  assert.equal(await workflows.status(newUlid()), undefined);
});

test('each dispatch attempt is counted on its own workflow only', async () => {
  const id = await h.queuedWorkflow();
  const other = await h.queuedWorkflow();
  await workflows.countDispatchAttempt(id);
  await workflows.countDispatchAttempt(id);
  assert.equal((await row(id)).dispatch_attempts, 2);
  assert.equal((await row(other)).dispatch_attempts, 0);
});

test('an undeliverable dispatch fails its workflow only while it is still queued; a workflow the plane accepted keeps its state', async () => {
  const queued = await h.queuedWorkflow();
  const running = await h.queuedWorkflow();
  await setState(running, 'running', null, 0);
  const before = await nowMs();
  await workflows.markUndeliverable(queued);
  await workflows.markUndeliverable(running);
  const q = await row(queued);
  assert.deepEqual([q.status, q.error_code], ['failed', 'undeliverable']);
  assert.ok(q.finished >= before - 1000, 'finished now');
  assert.deepEqual([(await row(running)).status, (await row(running)).error_code], ['running', null]);
});

test('workflow.started moves a queued workflow to running at the time the plane reports, and marks it reported now', async () => {
  const id = await h.queuedWorkflow();
  const before = await nowMs();
  await project(started(id));
  const r = await row(id);
  assert.deepEqual([r.status, r.error_code, r.started, r.finished], ['running', null, AT, null]);
  assert.ok(r.reported >= before - 1000, 'last report is now');
});

test('a repeated workflow.started keeps the first start time', async () => {
  const id = await h.queuedWorkflow();
  await project(started(id));
  await project(started(id, AT + 5000));
  assert.equal((await row(id)).started, AT);
});

test('workflow.started never reopens a workflow that finished or failed for another reason', async () => {
  for (const [status, code] of [
    ['succeeded', null],
    ['failed', 'agent_error'],
    ['failed', 'undeliverable'],
  ] as const) {
    const id = await h.queuedWorkflow();
    await setState(id, status, code);
    await project(started(id));
    const r = await row(id);
    assert.deepEqual([r.status, r.error_code, r.started], [status, code, null], `${status}/${code}`);
    assert.notEqual(r.finished, null);
  }
});

test('workflow.started of a workflow timed out for silence sets it running again with the time-out cleared', async () => {
  const id = await h.queuedWorkflow();
  await setState(id, 'failed', SILENT);
  await project(started(id));
  const r = await row(id);
  assert.deepEqual([r.status, r.error_code, r.finished, r.started], ['running', null, null, AT]);
});

test('another tenant’s events change nothing of a workflow', async () => {
  const other = await h.addTenant();
  const id = await h.queuedWorkflow();
  await project(started(id), other);
  assert.equal((await row(id)).status, 'queued');
  await project(started(id));
  await setState(id, 'failed', SILENT);
  await project(heartbeat(id), other);
  await project(finished(id, 'succeeded'), other);
  assert.deepEqual([(await row(id)).status, (await row(id)).error_code], ['failed', SILENT]);
});

test('a heartbeat marks a running workflow reported now and leaves it running', async () => {
  const id = await h.queuedWorkflow();
  await setState(id, 'running', null, 3600);
  const before = await nowMs();
  await project(heartbeat(id));
  const r = await row(id);
  assert.equal(r.status, 'running');
  assert.ok(r.reported >= before - 1000, 'last report is now');
});

test('a late heartbeat of a workflow timed out for silence sets it running again', async () => {
  const id = await h.queuedWorkflow();
  await setState(id, 'failed', SILENT);
  await project(heartbeat(id));
  const r = await row(id);
  assert.deepEqual([r.status, r.error_code, r.finished], ['running', null, null]);
});

test('a heartbeat never overwrites a real outcome, and never starts a queued workflow', async () => {
  for (const [status, code] of [
    ['succeeded', null],
    ['failed', 'agent_error'],
    ['failed', 'undeliverable'],
    ['queued', null],
  ] as const) {
    const id = await h.queuedWorkflow();
    await setState(id, status, code, 3600);
    const was = await row(id);
    await project(heartbeat(id));
    assert.deepEqual(await row(id), was, `${status}/${code}`);
  }
});

test('workflow.finished records the outcome, its time, duration and step count; `none` is stored as no error', async () => {
  const id = await h.queuedWorkflow();
  await project(started(id));
  await project(finished(id, 'succeeded'));
  const r = await row(id);
  assert.deepEqual(
    [r.status, r.error_code, r.finished, r.duration_ms, r.steps, r.started],
    ['succeeded', null, AT + 60_000, 45_000, 3, AT],
  );
  const failed = await h.queuedWorkflow();
  await project(finished(failed, 'failed', 'agent_error'));
  const f = await row(failed);
  assert.deepEqual([f.status, f.error_code], ['failed', 'agent_error']);
  assert.equal(f.started, AT + 60_000 - 45_000, 'a start never reported is the finish less the duration');
});

test('a real outcome arriving after the silence time-out replaces it', async () => {
  const id = await h.queuedWorkflow();
  await project(started(id));
  await setState(id, 'failed', SILENT);
  await project(finished(id, 'succeeded'));
  const r = await row(id);
  assert.deepEqual([r.status, r.error_code, r.finished], ['succeeded', null, AT + 60_000]);
});

const STEP = {
  type: 'step.finished' as const,
  index: 0,
  agent: 'indexer' as const,
  status: 'succeeded' as const,
  errorCode: 'none' as const,
  startedAt: AT + 1000,
  durationMs: 2500,
  llmCalls: 4,
  inputTokens: 1200,
  outputTokens: 300,
};

async function steps(id: string) {
  const { rows } = await db.query(
    `SELECT step_id, tenant_id, idx, agent, status, error_code, (extract(epoch FROM started_at) * 1000)::bigint::float8 AS started,
       duration_ms, llm_calls, input_tokens::int, output_tokens::int, tool_calls, refusals, findings, patches
     FROM workflow_steps WHERE workflow_id = $1 ORDER BY idx`,
    [id],
  );
  return rows;
}

test('step.finished stores the step with its counts, and marks its running workflow reported', async () => {
  const id = await h.queuedWorkflow();
  await setState(id, 'running', null, 3600);
  const stepId = newUlid();
  const findings = { info: 1, low: 0, medium: 2, high: 0, critical: 1 };
  const before = await nowMs();
  await project({ ...STEP, eventId: newUlid(), workflowId: id, stepId, toolCalls: 7, refusals: 1, findings, patches: 2 });
  assert.deepEqual(await steps(id), [
    {
      step_id: stepId,
      tenant_id: h.tenant,
      idx: 0,
      agent: 'indexer',
      status: 'succeeded',
      error_code: 'none',
      started: AT + 1000,
      duration_ms: 2500,
      llm_calls: 4,
      input_tokens: 1200,
      output_tokens: 300,
      tool_calls: 7,
      refusals: 1,
      findings,
      patches: 2,
    },
  ]);
  assert.ok((await row(id)).reported >= before - 1000);
});

test('a step reported without the runtime’s counts stores them as unknown (null), not zero', async () => {
  const id = await h.queuedWorkflow();
  await project({ ...STEP, eventId: newUlid(), workflowId: id, stepId: newUlid() });
  const [s] = await steps(id);
  assert.deepEqual([s.tool_calls, s.refusals, s.findings, s.patches], [null, null, null, null]);
});

test('a step event of a workflow timed out for silence sets it running again', async () => {
  const id = await h.queuedWorkflow();
  await setState(id, 'failed', SILENT);
  await project({ ...STEP, eventId: newUlid(), workflowId: id, stepId: newUlid() });
  assert.deepEqual([(await row(id)).status, (await row(id)).error_code], ['running', null]);
});

test('a step redelivered is stored once; a re-run of the step (later start) replaces it, an older report does not', async () => {
  const id = await h.queuedWorkflow();
  const first = { ...STEP, eventId: newUlid(), workflowId: id, stepId: newUlid() };
  await project(first);
  await project(first);
  const rerun = { ...STEP, eventId: newUlid(), workflowId: id, stepId: newUlid(), startedAt: AT + 9000, status: 'failed' as const };
  await project(rerun);
  await project(first);
  const rows = await steps(id);
  assert.deepEqual(
    rows.map((s) => [s.step_id, s.status, s.started]),
    [[rerun.stepId, 'failed', AT + 9000]],
  );
});

test('a step of a workflow that is not the tenant’s is not stored', async () => {
  const other = await h.addTenant();
  const id = await h.queuedWorkflow();
  await project({ ...STEP, eventId: newUlid(), workflowId: id, stepId: newUlid() }, other);
  assert.deepEqual(await steps(id), []);
});

test('gate tallies are stored per decision, and a redelivered tally replaces the count instead of adding to it', async () => {
  const id = await h.queuedWorkflow();
  const stepId = newUlid();
  await project({ ...STEP, eventId: newUlid(), workflowId: id, stepId });
  const tally: WorkflowEvent = {
    type: 'gate.decisions',
    eventId: newUlid(),
    workflowId: id,
    stepId,
    agent: 'indexer',
    at: AT,
    decisions: [
      { tool: 'read_file', decision: 'allow', reason: 'allowed', approval: 'none', count: 5 },
      { tool: 'write_file', decision: 'deny', reason: 'tool_not_allowed', approval: 'none', count: 2 },
    ],
  };
  await project(tally);
  await project(tally);
  const other = await h.addTenant();
  await project(tally, other);
  const { rows } = await db.query(
    'SELECT tenant_id, step_id, agent, tool, decision, reason, approval, count FROM workflow_gate_decisions WHERE workflow_id = $1 ORDER BY tool',
    [id],
  );
  assert.deepEqual(rows, [
    {
      tenant_id: h.tenant,
      step_id: stepId,
      agent: 'indexer',
      tool: 'read_file',
      decision: 'allow',
      reason: 'allowed',
      approval: 'none',
      count: 5,
    },
    {
      tenant_id: h.tenant,
      step_id: stepId,
      agent: 'indexer',
      tool: 'write_file',
      decision: 'deny',
      reason: 'tool_not_allowed',
      approval: 'none',
      count: 2,
    },
  ]);
});
