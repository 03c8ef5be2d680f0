import { AggregationTemporality, DataPointType, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { AGENT_NAMES, METRIC_NAMES, STEP_STATUSES, type OtelPoint } from '../../shared/boundary.ts';
import { newUlid } from '../../shared/ids.ts';

/**
 * The OTEL metric exporter whose output may cross to the vendor. It turns SDK data points into
 * `otel` boundary events and hands them to egress (which checks them once more, signs and queues).
 * Only metrics named in the closed METRIC_NAMES list pass; of a point's attributes only `agent` and
 * `status`, and only when their value is a member of the closed lists — every other attribute, the
 * resource (host names, process args) and the instrumentation scope are dropped here, so nothing an
 * instrument was given by mistake can leave. Points are delta sums, gauges and explicit-bucket
 * histograms (value = sum, count = count; buckets stay local). Full-fidelity telemetry goes only to
 * the customer's own collector, through a separate OTLP reader (see ../instrumentation.ts).
 */
export type OtelSink = (kind: 'otel', event: OtelPoint) => unknown;

export type BoundaryExporterStats = { exported: number; droppedMetrics: number; droppedAttributes: number; buffered: number };

// ExportResultCode from @opentelemetry/core (SUCCESS = 0, FAILED = 1); that package is not a direct dependency.
const SUCCESS = 0;
const FAILED = 1;
/** Points kept while no egress is connected yet (the plane is still starting); older ones are dropped. */
const MAX_BUFFERED = 2000;

const metricNames = new Set<string>(METRIC_NAMES);
const agents = new Set<string>(AGENT_NAMES);
const statuses = new Set<string>(STEP_STATUSES);

export function toBoundaryPoints(rm: ResourceMetrics, stats?: BoundaryExporterStats): OtelPoint[] {
  const out: OtelPoint[] = [];
  for (const sm of rm.scopeMetrics) {
    for (const metric of sm.metrics) {
      const name = metric.descriptor.name;
      if (!metricNames.has(name)) {
        if (stats) stats.droppedMetrics += 1;
        continue;
      }
      for (const dp of metric.dataPoints) {
        const base: Pick<OtelPoint, 'eventId' | 'metric' | 'at'> & Partial<OtelPoint> = {
          eventId: newUlid(),
          metric: name as OtelPoint['metric'],
          at: Math.round(dp.endTime[0] * 1000 + dp.endTime[1] / 1e6),
        };
        for (const [k, v] of Object.entries(dp.attributes)) {
          if (k === 'agent' && typeof v === 'string' && agents.has(v)) base.agent = v as OtelPoint['agent'];
          else if (k === 'status' && typeof v === 'string' && statuses.has(v)) base.status = v as OtelPoint['status'];
          else if (stats) stats.droppedAttributes += 1;
        }
        if (metric.dataPointType === DataPointType.SUM) {
          out.push({ ...base, kind: 'sum', value: Number(dp.value) });
        } else if (metric.dataPointType === DataPointType.GAUGE) {
          out.push({ ...base, kind: 'gauge', value: Number(dp.value) });
        } else if (metric.dataPointType === DataPointType.HISTOGRAM) {
          const h = dp.value as { sum?: number; count: number };
          out.push({ ...base, kind: 'histogram', value: h.sum ?? 0, count: h.count });
        } else if (stats) {
          stats.droppedMetrics += 1;
        }
      }
    }
  }
  return out;
}

export function createBoundaryExporter(opts: { sink?: OtelSink } = {}) {
  let sink = opts.sink;
  let shutDown = false;
  const buffer: OtelPoint[] = [];
  const stats: BoundaryExporterStats = { exported: 0, droppedMetrics: 0, droppedAttributes: 0, buffered: 0 };

  const deliver = (points: OtelPoint[]) => {
    if (!sink) {
      buffer.push(...points);
      if (buffer.length > MAX_BUFFERED) buffer.splice(0, buffer.length - MAX_BUFFERED);
      stats.buffered = buffer.length;
      return;
    }
    for (const p of points) sink('otel', p);
    stats.exported += points.length;
  };

  const exporter: PushMetricExporter & { connect(s: OtelSink): void; stats(): BoundaryExporterStats } = {
    export(metrics, resultCallback) {
      if (shutDown) return resultCallback({ code: FAILED, error: new Error('exporter is shut down') });
      try {
        deliver(toBoundaryPoints(metrics, stats));
        resultCallback({ code: SUCCESS });
      } catch (err) {
        resultCallback({ code: FAILED, error: err instanceof Error ? err : new Error(String(err)) });
      }
    },
    /** Delta for every instrument: the control plane adds up what it receives. */
    selectAggregationTemporality: () => AggregationTemporality.DELTA,
    async forceFlush() {},
    async shutdown() {
      shutDown = true;
    },
    connect(s) {
      sink = s;
      const held = buffer.splice(0);
      stats.buffered = 0;
      deliver(held);
    },
    stats: () => ({ ...stats }),
  };
  return exporter;
}
export type BoundaryExporter = ReturnType<typeof createBoundaryExporter>;
