import { jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ensureStream } from '../../shared/jetstream-admin.ts';

/**
 * The hub's JetStream streams, all in the control plane's account:
 * - AP_UP captures every signed up batch that tenants' leaves forward; dedupe on Nats-Msg-Id
 *   (kid:seq) so a forwarder retrying after a lost ack stores the batch once.
 * - AP_DISPATCH queues dispatch requests until the tenant's leaf accepts them.
 * - AP_DLQ keeps what could not be processed, with the reason in headers. Nothing is dropped silently.
 *   It dedupes on `dlq:<stream>:<seq>`, so the two ways in (handler, advisory) store a message once.
 * - AP_ADVISORIES captures the server's MAX_DELIVERIES advisories for the consumers above: a message
 *   whose handler crashed or hung on every delivery is not removed by the server; the dead-letter
 *   mover (shared/max-deliveries-mover.ts, started in telemetry/dead-letter.ts) reads the advisory and moves the message to AP_DLQ.
 */
export const STREAMS = {
  up: { name: 'AP_UP', subjects: ['ap.up.*.*'] },
  dispatch: { name: 'AP_DISPATCH', subjects: ['cp.dispatch.*'] },
  dlq: { name: 'AP_DLQ', subjects: ['cp.dlq.>'] },
  advisories: {
    name: 'AP_ADVISORIES',
    subjects: ['$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.AP_UP.*', '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.AP_DISPATCH.*'],
  },
} as const;

export const dispatchQueueSubject = (tenant: string) => `cp.dispatch.${tenant}`;
export const dlqSubject = (source: string, reason: string) => `cp.dlq.${source}.${reason}`;

const NS_PER_MS = 1_000_000;

export async function ensureHubStreams(nc: NatsConnection): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, {
    name: STREAMS.up.name,
    subjects: [...STREAMS.up.subjects],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    duplicate_window: 2 * 3600 * 1000 * NS_PER_MS,
    max_age: 7 * 24 * 3600 * 1000 * NS_PER_MS,
  });
  await ensureStream(jsm, {
    name: STREAMS.dispatch.name,
    subjects: [...STREAMS.dispatch.subjects],
    storage: StorageType.File,
    retention: RetentionPolicy.Workqueue,
    duplicate_window: 3600 * 1000 * NS_PER_MS,
  });
  await ensureStream(jsm, {
    name: STREAMS.dlq.name,
    subjects: [...STREAMS.dlq.subjects],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_age: 30 * 24 * 3600 * 1000 * NS_PER_MS,
    duplicate_window: 24 * 3600 * 1000 * NS_PER_MS,
  });
  await ensureStream(jsm, {
    name: STREAMS.advisories.name,
    subjects: [...STREAMS.advisories.subjects],
    storage: StorageType.File,
    retention: RetentionPolicy.Workqueue,
  });
  return jsm;
}
