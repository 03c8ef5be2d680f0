import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metrics } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider, PeriodicExportingMetricReader, type MetricReader } from '@opentelemetry/sdk-metrics';

/**
 * OpenTelemetry metrics for the control plane, started in main() before anything creates an
 * instrument (instruments made before a provider is registered stay no-ops). Two optional outlets:
 * - a Prometheus scrape endpoint, `GET /metrics` on its own port (METRICS_PORT), kept off the API
 *   port so it is never reachable where tenants are;
 * - OTLP/HTTP push to the operator's collector (OTEL_EXPORTER_OTLP_ENDPOINT).
 * With neither, no provider is registered and every instrument costs nothing.
 * Metric attributes are provider names, tiers, statuses and breaker states: no tenant content.
 */
export async function startInstrumentation(opts: {
  metricsHost?: string;
  /** Port of the scrape endpoint; 0 picks a free one; undefined = no endpoint. */
  metricsPort?: number;
  otlpEndpoint?: string;
  otlpIntervalMs?: number;
}): Promise<{ metricsUrl?: string; shutdown(): Promise<void> }> {
  const readers: MetricReader[] = [];
  const prometheus = opts.metricsPort === undefined ? undefined : new PrometheusExporter({ preventServerStart: true });
  if (prometheus) readers.push(prometheus);
  if (opts.otlpEndpoint) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${opts.otlpEndpoint.replace(/\/$/, '')}/v1/metrics` }),
        exportIntervalMillis: opts.otlpIntervalMs ?? 60_000,
      }),
    );
  }
  if (readers.length === 0) return { shutdown: async () => undefined };

  const provider = new MeterProvider({ readers });
  metrics.setGlobalMeterProvider(provider);
  let server: Server | undefined;
  let metricsUrl: string | undefined;
  if (prometheus) {
    server = createServer((req, res) => {
      if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?')))
        return prometheus.getMetricsRequestHandler(req, res);
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    });
    const host = opts.metricsHost ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(opts.metricsPort, host, resolve);
    });
    metricsUrl = `http://${host}:${(server.address() as AddressInfo).port}/metrics`;
  }
  return {
    metricsUrl,
    async shutdown() {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await provider.shutdown().catch(() => undefined);
      metrics.disable();
    },
  };
}
