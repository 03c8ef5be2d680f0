import { metrics as otel, type Meter } from '@opentelemetry/api';
import type { BreakerState, GatewayMetrics, ProviderName } from '../../shared/llm/index.ts';

/**
 * LLM proxy metrics through the OpenTelemetry API: a no-op until the process registers a meter
 * provider, so the hot path pays nothing when metrics are off. Labels are provider names and
 * reasons only; never tenant content.
 */
const STATE_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2, isolated: 3 };

export type LlmProxyMetrics = {
  onBreakerChange(provider: ProviderName, from: BreakerState, to: BreakerState): void;
  /** Exposes a gateway's counters and breaker states as observable instruments. */
  observe(snapshot: () => GatewayMetrics): void;
  requestFinished(attrs: { provider: ProviderName | 'none'; tier: string; status: number; stream: boolean }, latencyMs: number): void;
};

export function createLlmProxyMetrics(meter: Meter = otel.getMeter('agentplane.llm-proxy')): LlmProxyMetrics {
  const transitions = meter.createCounter('llm.breaker.transitions', { description: 'circuit breaker state changes' });
  const latency = meter.createHistogram('llm.proxy.duration', { unit: 'ms', description: 'proxy request duration' });
  return {
    onBreakerChange(provider, from, to) {
      transitions.add(1, { provider, from, to });
    },
    observe(snapshot) {
      const state = meter.createObservableGauge('llm.breaker.state', { description: '0 closed, 1 half-open, 2 open, 3 isolated' });
      const attempts = meter.createObservableCounter('llm.upstream.attempts');
      const skipped = meter.createObservableCounter('llm.upstream.skipped_open', {
        description: 'attempts not made because the breaker was open',
      });
      const failovers = meter.createObservableCounter('llm.failovers');
      meter.addBatchObservableCallback(
        (r) => {
          const m = snapshot();
          for (const p of Object.keys(m.breaker) as ProviderName[]) {
            r.observe(state, STATE_VALUE[m.breaker[p]], { provider: p });
            r.observe(attempts, m.attempts[p], { provider: p });
            r.observe(skipped, m.skippedOpen[p], { provider: p });
          }
          r.observe(failovers, m.failovers, { phase: 'any' });
          r.observe(failovers, m.midStreamFailovers, { phase: 'mid_stream' });
        },
        [state, attempts, skipped, failovers],
      );
    },
    requestFinished(attrs, ms) {
      latency.record(ms, attrs);
    },
  };
}
