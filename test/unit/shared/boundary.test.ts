import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { checkEvent, METRIC_NAMES, usageCounterSchema, workflowEventSchema } from '../../../shared/boundary.ts';
import { generateTenantKey, importTenantKey } from '../../../shared/signing.ts';
import { createLogger } from '../../../shared/log.ts';
import { newUlid } from '../../../shared/ids.ts';
import type { UpKind } from '../../../shared/subjects.ts';
import { createEgress } from '../../../customer-plane/egress/egress.ts';
import { usageEvent } from '../../support/usage-event.ts';

const CANARY = `CANARY-${randomBytes(8).toString('hex')}`;

/** One valid event per kind (and per meta type): every string field in them is what the canary replaces. */
function samples(): Array<{ kind: UpKind; event: Record<string, unknown> }> {
  const now = Date.now();
  return [
    { kind: 'meta', event: { type: 'workflow.started', eventId: newUlid(), workflowId: newUlid(), template: 'code-review', at: now } },
    { kind: 'meta', event: { type: 'workflow.heartbeat', eventId: newUlid(), workflowId: newUlid(), at: now } },
    {
      kind: 'meta',
      event: {
        type: 'workflow.finished',
        eventId: newUlid(),
        workflowId: newUlid(),
        template: 'code-review',
        status: 'failed',
        errorCode: 'timeout',
        at: now,
        durationMs: 5,
        steps: 1,
      },
    },
    {
      kind: 'meta',
      event: {
        type: 'step.finished',
        eventId: newUlid(),
        workflowId: newUlid(),
        stepId: newUlid(),
        index: 0,
        agent: 'reviewer',
        status: 'succeeded',
        errorCode: 'none',
        startedAt: now,
        durationMs: 3,
        llmCalls: 1,
        inputTokens: 10,
        outputTokens: 2,
        toolCalls: 7,
        refusals: 2,
        findings: { info: 0, low: 1, medium: 0, high: 3, critical: 0 },
        patches: 1,
      },
    },
    {
      kind: 'meta',
      event: {
        type: 'gate.decisions',
        eventId: newUlid(),
        workflowId: newUlid(),
        stepId: newUlid(),
        agent: 'fixer',
        at: now,
        decisions: [
          { tool: 'read_file', decision: 'deny', reason: 'path_outside_workspace', approval: 'none', count: 2 },
          { tool: 'fetch_url', decision: 'ask', reason: 'network_not_allowed', approval: 'rejected', count: 1 },
        ],
      },
    },
    {
      kind: 'otel',
      event: {
        eventId: newUlid(),
        metric: 'step.duration_ms',
        kind: 'histogram',
        at: now,
        value: 12,
        count: 2,
        agent: 'indexer',
        status: 'succeeded',
      },
    },
    {
      kind: 'usage',
      event: usageEvent(),
    },
    { kind: 'patterns', event: { eventId: newUlid(), fingerprint: 'a'.repeat(64), agent: 'fixer', outcome: 'accepted', occurrences: 3 } },
  ];
}

/** Every way a sample can be made to carry the canary: each string field replaced, embedded, and an extra field. */
function poisoned(): Array<{ kind: UpKind; field: string; event: Record<string, unknown> }> {
  const out: Array<{ kind: UpKind; field: string; event: Record<string, unknown> }> = [];
  for (const { kind, event } of samples()) {
    for (const [field, value] of Object.entries(event)) {
      if (typeof value === 'string') {
        out.push({ kind, field, event: { ...event, [field]: CANARY } });
        out.push({ kind, field: `${field}+suffix`, event: { ...event, [field]: `${value} ${CANARY}` } });
      }
      if (typeof value === 'number') out.push({ kind, field: `${field}:string`, event: { ...event, [field]: CANARY } });
    }
    // Nested objects and arrays (findings counts, gate tallies): every string and number inside them too.
    for (const [field, value] of Object.entries(event)) {
      if (Array.isArray(value)) {
        for (const [k, v] of Object.entries(value[0] as Record<string, unknown>)) {
          const row = (x: unknown) => [{ ...(value[0] as object), [k]: x }, ...value.slice(1)];
          out.push({ kind, field: `${field}[0].${k}`, event: { ...event, [field]: row(CANARY) } });
          if (typeof v === 'string')
            out.push({ kind, field: `${field}[0].${k}+suffix`, event: { ...event, [field]: row(`${v} ${CANARY}`) } });
        }
        out.push({ kind, field: `${field}[0].extra`, event: { ...event, [field]: [{ ...(value[0] as object), note: CANARY }] } });
        out.push({ kind, field: `${field}[]string`, event: { ...event, [field]: [CANARY] } });
      } else if (value && typeof value === 'object') {
        for (const k of Object.keys(value))
          out.push({ kind, field: `${field}.${k}`, event: { ...event, [field]: { ...value, [k]: CANARY } } });
        out.push({ kind, field: `${field}.extra`, event: { ...event, [field]: { ...value, [CANARY]: 1 } } });
      }
    }
    out.push({ kind, field: 'extra', event: { ...event, note: CANARY } });
    out.push({ kind, field: 'nested', event: { ...event, eventId: { toString: () => CANARY, v: CANARY } } });
  }
  return out;
}

test('the valid samples pass (so the rejections below are about the canary, not the samples)', () => {
  for (const { kind, event } of samples()) assert.equal(checkEvent(kind, event).ok, true, `${kind} ${String(event.type ?? '')}`);
});

test('an event with the canary in any string field, appended to a valid value, in a number field or in an extra field is rejected, and the rejection does not carry it', () => {
  const cases = poisoned();
  assert.ok(cases.length > 80);
  // The runtime's fields are covered: a gate tally's reason, a finding count, the tool name of a tally.
  for (const f of [
    'decisions[0].reason',
    'decisions[0].tool',
    'decisions[0].count',
    'findings.high',
    'toolCalls:string',
    'decisions[0].extra',
  ]) {
    assert.ok(
      cases.some((c) => c.field === f),
      `a case poisons ${f}`,
    );
  }
  for (const c of cases) {
    const r = checkEvent(c.kind, c.event);
    assert.equal(r.ok, false, `${c.kind}.${c.field} must be rejected`);
    assert.ok(!JSON.stringify(r).includes(CANARY), `${c.kind}.${c.field}: rejection must not echo the value`);
  }
});

test('gate tallies take only closed-list tools, decisions, reason codes and approval outcomes, and at most 500 rows', () => {
  const base = { type: 'gate.decisions', eventId: newUlid(), workflowId: newUlid(), stepId: newUlid(), agent: 'fixer', at: Date.now() };
  const row = { tool: 'unlisted', decision: 'deny', reason: 'tool_not_allowed', approval: 'none', count: 1 };
  assert.equal(checkEvent('meta', { ...base, decisions: [row] }).ok, true, 'a name outside the tool list is counted as `unlisted`');
  assert.equal(checkEvent('meta', { ...base, decisions: [{ ...row, tool: 'shell' }] }).ok, false);
  assert.equal(checkEvent('meta', { ...base, decisions: [{ ...row, reason: 'because the README said so' }] }).ok, false);
  assert.equal(checkEvent('meta', { ...base, decisions: [] }).ok, false);
  assert.equal(checkEvent('meta', { ...base, decisions: Array.from({ length: 501 }, () => row) }).ok, false);
});

test('metric names are a closed list: a metric name that is not listed is rejected', () => {
  assert.ok((METRIC_NAMES as readonly string[]).includes('runner.memory.rss_bytes'));
  const r = checkEvent('otel', { eventId: newUlid(), metric: `custom.${CANARY}`, kind: 'gauge', at: Date.now(), value: 1 });
  assert.equal(r.ok, false);
});

test('egress rejects every canary-carrying event, counts each rejection, logs without the value and publishes nothing', async () => {
  let logs = '';
  const sink = new Writable({ write: (c, _e, cb) => void ((logs += c.toString()), cb()) });
  const published: string[] = [];
  // A connection that records anything egress would send; nothing valid is emitted, so nothing may be.
  const nc = {
    request: async (subject: string) => void published.push(subject),
    publish: (subject: string) => void published.push(subject),
    getServer: () => 'fake',
    options: { inboxPrefix: '_INBOX' },
    info: { jetstream: true, version: '2.9.10' },
    features: { require: () => true, supports: () => true },
  } as unknown as NatsConnection;
  const key = await importTenantKey((await generateTenantKey()).privateJwk);
  const egress = createEgress({
    nc,
    tenant: '00000000-0000-4000-8000-000000000001',
    key,
    seq: { next: () => 1 },
    log: createLogger({ service: 'test', level: 'debug', destination: sink }),
    flushIntervalMs: 60_000,
  });
  const cases = poisoned();
  for (const c of cases) assert.equal(egress.emit(c.kind, c.event).ok, false, `${c.kind}.${c.field}`);
  await egress.close();
  const stats = egress.stats();
  assert.equal(
    Object.values(stats.rejected).reduce((a, b) => a + b, 0),
    cases.length,
    'every rejection counted',
  );
  assert.deepEqual(stats.accepted, { meta: 0, otel: 0, usage: 0, patterns: 0 });
  assert.deepEqual(published, [], 'nothing was sent');
  assert.ok(logs.includes('event rejected at the boundary'), 'rejections are logged locally');
  assert.ok(!logs.includes(CANARY), 'the log never holds the rejected value');
});

test('values the control plane cannot store are refused at the boundary: counts beyond an integer column, days off the calendar', () => {
  const ulid = () => newUlid();
  const finished = {
    type: 'workflow.finished',
    eventId: ulid(),
    workflowId: ulid(),
    template: 'code-review',
    status: 'succeeded',
    errorCode: 'none',
    at: Date.now(),
    durationMs: 1,
    steps: 2,
  };
  const step = {
    type: 'step.finished',
    eventId: ulid(),
    workflowId: ulid(),
    stepId: ulid(),
    index: 0,
    agent: 'reviewer',
    status: 'succeeded',
    errorCode: 'none',
    startedAt: Date.now(),
    durationMs: 1,
    llmCalls: 1,
    inputTokens: 1,
    outputTokens: 1,
  };
  const usage = usageEvent({ day: '2026-06-01' });
  assert.equal(workflowEventSchema.safeParse(finished).success, true);
  assert.equal(workflowEventSchema.safeParse(step).success, true);
  assert.equal(usageCounterSchema.safeParse(usage).success, true);
  assert.equal(workflowEventSchema.safeParse({ ...finished, steps: 2 ** 31 }).success, false, 'steps is an integer column');
  assert.equal(workflowEventSchema.safeParse({ ...step, llmCalls: 2 ** 31 }).success, false, 'llm_calls is an integer column');
  for (const day of ['0000-01-01', '2026-02-30', '2026-13-01', '2026-00-10']) {
    assert.equal(usageCounterSchema.safeParse({ ...usage, day }).success, false, day);
  }
});
