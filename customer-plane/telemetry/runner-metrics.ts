import { availableParallelism } from 'node:os';
import type { Meter } from '@opentelemetry/api';
import type { WorkflowEvent } from '../../shared/boundary.ts';
import type { UpKind } from '../../shared/subjects.ts';
import type { Egress } from '../egress/egress.ts';

/**
 * The runner's OTEL instruments. The runner already reports every workflow and step through egress
 * as boundary-checked `meta` events; this records the same facts as metrics (durations, errors,
 * tokens) by observing those events on their way in, so the runner needs no second code path and a
 * metric can only ever carry what the meta event carried. CPU and memory of the runner process are
 * observed gauges. Attributes are only `agent` and `status`, both closed lists.
 */
export function createRunnerMetrics(meter: Meter, opts: { cpus?: number } = {}) {
  const workflowDuration = meter.createHistogram('workflow.duration_ms', { unit: 'ms', description: 'Workflow wall time' });
  const stepDuration = meter.createHistogram('step.duration_ms', { unit: 'ms', description: 'Agent step wall time' });
  const errors = meter.createCounter('workflow.errors', { description: 'Workflows that finished failed' });
  const tokensIn = meter.createCounter('llm.tokens.input', { description: 'LLM input tokens per agent' });
  const tokensOut = meter.createCounter('llm.tokens.output', { description: 'LLM output tokens per agent' });
  const cpu = meter.createObservableGauge('runner.cpu.utilization', {
    unit: '1',
    description: 'Runner process CPU time / wall time / cores',
  });
  const rss = meter.createObservableGauge('runner.memory.rss_bytes', { unit: 'By', description: 'Runner process resident set size' });

  const cores = opts.cpus ?? availableParallelism();
  let lastCpu = process.cpuUsage();
  let lastAt = process.hrtime.bigint();
  cpu.addCallback((r) => {
    const now = process.hrtime.bigint();
    const used = process.cpuUsage(lastCpu);
    const wallUs = Number(now - lastAt) / 1000;
    lastCpu = process.cpuUsage();
    lastAt = now;
    if (wallUs > 0) r.observe(Math.min(1, (used.user + used.system) / wallUs / cores));
  });
  rss.addCallback((r) => r.observe(process.memoryUsage.rss()));

  function observe(e: WorkflowEvent): void {
    if (e.type === 'workflow.finished') {
      workflowDuration.record(e.durationMs, { status: e.status });
      if (e.status === 'failed') errors.add(1, { status: 'failed' });
    } else if (e.type === 'step.finished') {
      stepDuration.record(e.durationMs, { agent: e.agent, status: e.status });
      if (e.inputTokens) tokensIn.add(e.inputTokens, { agent: e.agent });
      if (e.outputTokens) tokensOut.add(e.outputTokens, { agent: e.agent });
    }
  }

  return {
    observe,
    /** The egress the runner is given: accepted meta events are also recorded as metrics. */
    observing(egress: Pick<Egress, 'emit' | 'flush'>): Pick<Egress, 'emit' | 'flush'> {
      return {
        emit<K extends UpKind>(kind: K, event: unknown) {
          const result = egress.emit(kind, event);
          if (result.ok && kind === 'meta') observe(event as WorkflowEvent);
          return result;
        },
        flush: () => egress.flush(),
      };
    },
  };
}
