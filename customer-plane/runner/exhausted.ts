import { jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Dispatch } from '../../shared/dispatch.ts';
import { ensureStream } from '../../shared/jetstream-admin.ts';
import type { Logger } from '../../shared/log.ts';
import { maxDeliveriesSubject, startMaxDeliveriesMover } from '../../shared/max-deliveries-mover.ts';
import { parseDispatch, WORK_DLQ_SUBJECT, WORK_STREAM } from './work-queue.ts';

/**
 * The runner's second way into the dead-letter stream. A runner that crashes (or is killed) on a
 * run's last delivery never gets to dead-letter it itself: JetStream just stops delivering and
 * announces it with a MAX_DELIVERIES advisory, which this stream captures on the leaf (so it is kept
 * while no runner is up). The shared mover ends the run `failed` with `delivery_exhausted` (through
 * `onExhausted`), copies the work to the DLQ and removes it from the queue.
 */
export const ADVISORY_STREAM = 'AP_WORK_ADVISORIES';

export async function ensureAdvisoryStream(nc: NatsConnection): Promise<void> {
  await ensureStream(await jetstreamManager(nc), {
    name: ADVISORY_STREAM,
    subjects: [maxDeliveriesSubject(WORK_STREAM)],
    storage: StorageType.File,
    retention: RetentionPolicy.Workqueue,
  });
}

export async function startExhaustedMover(opts: { nc: NatsConnection; log: Logger; onExhausted(d: Dispatch): Promise<void> }) {
  await ensureAdvisoryStream(opts.nc);
  return startMaxDeliveriesMover({
    nc: opts.nc,
    log: opts.log,
    advisoryStream: ADVISORY_STREAM,
    durable: 'runner-exhausted',
    sources: { [WORK_STREAM]: WORK_DLQ_SUBJECT },
    badAdvisorySubject: () => WORK_DLQ_SUBJECT,
    async onExhausted(original) {
      const d = parseDispatch(original);
      if (d) await opts.onExhausted(d);
    },
  });
}
