import { NodeSDK } from '@opentelemetry/sdk-node';
import { PeriodicExportingMetricReader, type MetricReader } from '@opentelemetry/sdk-metrics';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { createBoundaryExporter, type OtelSink } from './telemetry/boundary-exporter.ts';

/**
 * OpenTelemetry for the customer plane, started before anything else in main.ts. Two destinations:
 * - the vendor, through the boundary exporter: metric points only, reduced to the closed lists and
 *   sent through egress (signed, outboxed, audited) — never traces, never logs;
 * - the customer's own collector, when OTEL_EXPORTER_OTLP_ENDPOINT is set: full-fidelity metrics and
 *   traces over OTLP/HTTP. That endpoint is inside the customer's account; the hub never sees it.
 * Without an endpoint, no trace or log pipeline is created at all.
 */
export function startInstrumentation(opts: { otlpEndpoint?: string; boundaryIntervalMs: number; serviceName?: string }) {
  const boundary = createBoundaryExporter();
  const readers: MetricReader[] = [
    new PeriodicExportingMetricReader({
      exporter: boundary,
      exportIntervalMillis: opts.boundaryIntervalMs,
      exportTimeoutMillis: Math.min(opts.boundaryIntervalMs, 30_000),
    }),
  ];
  if (opts.otlpEndpoint) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${opts.otlpEndpoint.replace(/\/$/, '')}/v1/metrics` }),
        exportIntervalMillis: 60_000,
      }),
    );
  }
  const sdk = new NodeSDK({
    serviceName: opts.serviceName ?? 'agentplane-customer-plane',
    metricReaders: readers,
    // With an endpoint, traces follow the standard OTEL_* environment (OTLP to the customer's
    // collector); without one, there is no span or log exporter anywhere.
    ...(opts.otlpEndpoint ? {} : { spanProcessors: [], logRecordProcessors: [] }),
  });
  sdk.start();
  return {
    /** Points exported before egress exists are held (bounded) and delivered on connect. */
    connect(sink: OtelSink): void {
      boundary.connect(sink);
    },
    stats: () => boundary.stats(),
    /** Final export through egress; call before egress is closed. */
    async flush(): Promise<void> {
      await Promise.all(readers.map((r) => r.forceFlush().catch(() => {})));
    },
    async shutdown(): Promise<void> {
      await sdk.shutdown().catch(() => {});
    },
  };
}
export type Instrumentation = ReturnType<typeof startInstrumentation>;
