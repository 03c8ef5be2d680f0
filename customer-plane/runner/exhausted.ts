import { jetstream, jetstreamManager, RetentionPolicy, StorageType, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import type { Dispatch } from '../../shared/dispatch.ts';
import { deleteStreamMessage, ensureStream } from '../../shared/jetstream-admin.ts';
import { dlqHeaders, dlqPublisher, startWorker } from '../../shared/jetstream-worker.ts';
import type { Logger } from '../../shared/log.ts';
import { PermanentError } from '../../shared/worker-errors.ts';
import { parseDispatch, WORK_DLQ_SUBJECT, WORK_STREAM } from './work-queue.ts';

/**
 * The runner's second way into the dead-letter stream. A runner that crashes (or is killed) on a
 * run's last delivery never gets to dead-letter it itself: JetStream just stops delivering and
 * announces it with a MAX_DELIVERIES advisory, which this stream captures. The mover ends the run
 * `failed` with `delivery_exhausted` (through `onExhausted`), copies the work to the DLQ and removes
 * it from the queue. Each part is idempotent, so a crash in between only repeats it.
 */
export const ADVISORY_STREAM = 'AP_WORK_ADVISORIES';
const ADVISORY_SUBJECT = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${WORK_STREAM}.*`;

const advisorySchema = z.object({
  stream: z.string(),
  consumer: z.string(),
  stream_seq: z.number().int().positive(),
  deliveries: z.number().int(),
});

export async function ensureAdvisoryStream(nc: NatsConnection): Promise<void> {
  await ensureStream(await jetstreamManager(nc), {
    name: ADVISORY_STREAM,
    subjects: [ADVISORY_SUBJECT],
    storage: StorageType.File,
    retention: RetentionPolicy.Workqueue,
  });
}

export async function startExhaustedMover(opts: { nc: NatsConnection; log: Logger; onExhausted(d: Dispatch): Promise<void> }) {
  await ensureAdvisoryStream(opts.nc);
  const jsmP = jetstreamManager(opts.nc);
  const js = jetstream(opts.nc);
  return startWorker({
    nc: opts.nc,
    stream: ADVISORY_STREAM,
    durable: 'runner-exhausted',
    // An advisory that cannot be handled now (the ledger is down) is kept and tried again.
    maxDeliver: -1,
    ackWaitMs: 30_000,
    concurrency: 1,
    log: opts.log,
    async handle(msg: JsMsg) {
      let adv;
      try {
        adv = advisorySchema.safeParse(JSON.parse(msg.string()));
      } catch {
        adv = undefined;
      }
      if (!adv?.success || adv.data.stream !== WORK_STREAM)
        throw new PermanentError('bad_advisory', 'not a max-deliveries advisory for the work queue');
      const jsm = await jsmP;
      // null: JetStream's no-message code, i.e. already moved (the handler dead-lettered it) or removed.
      const original = await jsm.streams.getMessage(WORK_STREAM, { seq: adv.data.stream_seq });
      if (!original) return;
      const d = parseDispatch(original);
      if (d) await opts.onExhausted(d);
      const headers = dlqHeaders({
        reason: 'max_deliveries',
        stream: WORK_STREAM,
        streamSeq: adv.data.stream_seq,
        subject: original.subject,
        consumer: adv.data.consumer,
        deliveries: adv.data.deliveries,
      });
      await js.publish(WORK_DLQ_SUBJECT, original.data, { headers });
      await deleteStreamMessage(jsm, WORK_STREAM, adv.data.stream_seq);
      opts.log.warn(
        { workflowId: d?.workflowId, deliveries: adv.data.deliveries },
        'run work exhausted its deliveries; run failed and work moved to the DLQ',
      );
    },
    deadLetter: dlqPublisher(opts.nc, () => WORK_DLQ_SUBJECT),
  });
}
