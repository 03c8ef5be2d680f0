import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { checkEvent, type OtelPoint } from '../../../../shared/boundary.ts';
import { createBoundaryExporter } from '../../../../customer-plane/telemetry/boundary-exporter.ts';
import { createRunnerMetrics } from '../../../../customer-plane/telemetry/runner-metrics.ts';
import { newUlid } from '../../../../shared/ids.ts';

const CANARY = 'CANARY-otel-7f3a';

async function collect(
  record: (mp: MeterProvider) => void,
): Promise<{ points: OtelPoint[]; stats: ReturnType<ReturnType<typeof createBoundaryExporter>['stats']> }> {
  const points: OtelPoint[] = [];
  const exporter = createBoundaryExporter({ sink: (_k, e) => points.push(e) });
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const mp = new MeterProvider({ readers: [reader] });
  record(mp);
  await reader.forceFlush();
  const stats = exporter.stats();
  const snapshot = [...points];
  await mp.shutdown();
  return { points: snapshot, stats };
}

test('runner metrics become boundary-valid otel points: durations, errors, tokens, CPU and memory', async () => {
  const { points } = await collect((mp) => {
    const m = createRunnerMetrics(mp.getMeter('t'), { cpus: 2 });
    const egress = m.observing({ emit: () => ({ ok: true }), flush: async () => {} });
    const wf = newUlid();
    egress.emit('meta', {
      type: 'step.finished',
      eventId: newUlid(),
      workflowId: wf,
      stepId: newUlid(),
      index: 0,
      agent: 'reviewer',
      status: 'succeeded',
      errorCode: 'none',
      startedAt: Date.now(),
      durationMs: 40,
      llmCalls: 1,
      inputTokens: 100,
      outputTokens: 7,
    });
    egress.emit('meta', {
      type: 'workflow.finished',
      eventId: newUlid(),
      workflowId: wf,
      template: 'code-review',
      status: 'failed',
      errorCode: 'timeout',
      at: Date.now(),
      durationMs: 50,
      steps: 1,
    });
  });
  for (const p of points) assert.equal(checkEvent('otel', p).ok, true, JSON.stringify(p));
  const by = (name: string) => points.filter((p) => p.metric === name);
  assert.deepEqual(
    by('step.duration_ms').map((p) => [p.kind, p.value, p.count, p.agent, p.status]),
    [['histogram', 40, 1, 'reviewer', 'succeeded']],
  );
  assert.deepEqual(
    by('workflow.duration_ms').map((p) => [p.value, p.status]),
    [[50, 'failed']],
  );
  assert.deepEqual(
    by('workflow.errors').map((p) => p.value),
    [1],
  );
  assert.deepEqual(
    by('llm.tokens.input').map((p) => [p.value, p.agent]),
    [[100, 'reviewer']],
  );
  assert.deepEqual(
    by('llm.tokens.output').map((p) => p.value),
    [7],
  );
  assert.equal(by('runner.memory.rss_bytes').length, 1);
  assert.ok(by('runner.memory.rss_bytes')[0].value > 0);
  assert.equal(by('runner.cpu.utilization')[0].kind, 'gauge');
});

test('unlisted metric names, free-text attributes and out-of-list attribute values never leave the exporter', async () => {
  const { points, stats } = await collect((mp) => {
    const meter = mp.getMeter(CANARY);
    meter.createCounter(`custom.${CANARY}`).add(1, { agent: 'reviewer' });
    meter.createCounter('workflow.errors').add(1, { agent: CANARY, status: 'failed', path: `/repo/${CANARY}.ts`, [CANARY]: 'x' });
  });
  assert.equal(points.length, 1);
  assert.deepEqual(
    { ...points[0], eventId: '', at: 0 },
    { eventId: '', at: 0, metric: 'workflow.errors', kind: 'sum', value: 1, status: 'failed' },
  );
  assert.ok(!JSON.stringify(points).includes(CANARY));
  assert.equal(stats.droppedMetrics, 1);
  assert.equal(stats.droppedAttributes, 3);
});

test('points exported before egress is connected are held and delivered on connect', async () => {
  const exporter = createBoundaryExporter();
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const mp = new MeterProvider({ readers: [reader] });
  mp.getMeter('t').createCounter('llm.tokens.output').add(5, { agent: 'indexer' });
  await reader.forceFlush();
  assert.equal(exporter.stats().buffered, 1);
  const got: OtelPoint[] = [];
  exporter.connect((_k, e) => got.push(e));
  assert.deepEqual(
    got.map((p) => [p.metric, p.value, p.agent]),
    [['llm.tokens.output', 5, 'indexer']],
  );
  await mp.shutdown();
});
