import { jetstream, jetstreamManager, type JsMsg, type StoredMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { deleteStreamMessage } from './jetstream-admin.ts';
import { dlqHeaders, startWorker } from './jetstream-worker.ts';
import type { Logger } from './log.ts';
import { PermanentError } from './worker-errors.ts';
import { parseJsonOrUndefined } from './json-text.ts';

/**
 * The second way into a dead-letter stream, shared by both planes. A handler that fails on its last
 * delivery dead-letters the message itself (jetstream-worker.ts), but a consumer that crashed or hung
 * never gets that far: JetStream stops redelivering after `max_deliver` and keeps the message in its
 * stream. The server announces that with a MAX_DELIVERIES advisory, which an advisory stream captures
 * (its subjects are `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.*`). This worker reads each
 * advisory, hands the original message to `onExhausted` (the runner ends the run there), copies it to
 * the source's DLQ subject with the reason in headers, then deletes it from the source stream. Every
 * part is idempotent (the DLQ dedupes on `dlq:<stream>:<seq>`, a message already gone counts as
 * moved), so a crash between two parts only repeats them.
 */
export const maxDeliveriesAdvisorySchema = z.object({
  stream: z.string(),
  consumer: z.string(),
  stream_seq: z.number().int().positive(),
  deliveries: z.number().int().nonnegative(),
});
export type MaxDeliveriesAdvisory = z.infer<typeof maxDeliveriesAdvisorySchema>;

export const maxDeliveriesSubject = (stream: string) => `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.*`;

export type MoverOptions = {
  nc: NatsConnection;
  log: Logger;
  /** The stream that captures the advisories, and the durable name of this mover's consumer. */
  advisoryStream: string;
  durable: string;
  /** Source stream name → DLQ subject its exhausted messages are moved to; other streams' advisories are refused. */
  sources: Record<string, string>;
  /** Where an advisory that is not one goes, by reason (kept, never dropped). */
  badAdvisorySubject: (reason: string) => string;
  /** Runs before the copy; throwing keeps the advisory for a later try (e.g. the ledger is down). */
  onExhausted?: (original: StoredMsg, advisory: MaxDeliveriesAdvisory) => Promise<void>;
};

export function createMaxDeliveriesHandler(opts: MoverOptions) {
  // No API check now: an eager check during a hub reload would reject with nobody awaiting it (a crash).
  const jsmP = jetstreamManager(opts.nc, { checkAPI: false });
  const js = jetstream(opts.nc);
  return async function moveExhausted(msg: JsMsg): Promise<void> {
    const parsed = maxDeliveriesAdvisorySchema.safeParse(parseJsonOrUndefined(msg.string()));
    if (!parsed.success) throw new PermanentError('bad_advisory', 'advisory is not a max-deliveries advisory');
    const adv = parsed.data;
    const dlqSubject = opts.sources[adv.stream];
    if (!dlqSubject) throw new PermanentError('unknown_source', 'advisory for a stream this mover does not move');
    const jsm = await jsmP;
    // null: JetStream's no-message code, i.e. already moved (by the handler or an earlier try) or aged out.
    const original = await jsm.streams.getMessage(adv.stream, { seq: adv.stream_seq });
    if (!original) {
      opts.log.info({ stream: adv.stream, seq: adv.stream_seq }, 'exhausted message no longer in its stream; nothing to move');
      return;
    }
    await opts.onExhausted?.(original, adv);
    const headers = dlqHeaders({
      reason: 'max_deliveries',
      stream: adv.stream,
      streamSeq: adv.stream_seq,
      subject: original.subject,
      consumer: adv.consumer,
      deliveries: adv.deliveries,
    });
    await js.publish(dlqSubject, original.data, { headers });
    await deleteStreamMessage(jsm, adv.stream, adv.stream_seq);
    opts.log.warn(
      { stream: adv.stream, seq: adv.stream_seq, consumer: adv.consumer, deliveries: adv.deliveries },
      'exhausted message moved to the DLQ',
    );
  };
}

export async function startMaxDeliveriesMover(opts: MoverOptions) {
  const js = jetstream(opts.nc);
  return startWorker({
    nc: opts.nc,
    stream: opts.advisoryStream,
    durable: opts.durable,
    // An advisory that cannot be handled now is kept and tried again: it is small and the move is idempotent.
    maxDeliver: -1,
    ackWaitMs: 30_000,
    concurrency: 1,
    handle: createMaxDeliveriesHandler(opts),
    // Only for malformed advisories (PermanentError): keep a copy in the DLQ, never drop.
    deadLetter: async (msg, reason) => {
      const headers = dlqHeaders({ reason, stream: opts.advisoryStream, streamSeq: msg.seq });
      await js.publish(opts.badAdvisorySubject(reason), msg.data, { headers });
    },
    log: opts.log,
  });
}
