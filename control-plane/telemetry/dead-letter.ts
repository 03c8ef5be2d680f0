import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { deleteStreamMessage } from '../../shared/jetstream-admin.ts';
import type { Logger } from '../../shared/log.ts';
import { dlqHeaders, startWorker } from '../../shared/jetstream-worker.ts';
import { PermanentError } from '../../shared/worker-errors.ts';
import { STREAMS, dlqSubject } from '../hub/streams.ts';

/**
 * The second way into the DLQ. A handler that fails on the last delivery dead-letters the message
 * itself (see shared/jetstream-worker.ts), but a handler that crashed or hung never gets that far:
 * JetStream simply stops redelivering after `max_deliver` and keeps the message in the source stream.
 * The server announces that with a MAX_DELIVERIES advisory, which the AP_ADVISORIES stream captures.
 * This worker reads each advisory, copies the original message (fetched by stream sequence) to
 * AP_DLQ with the reason in headers, then deletes it from the source stream. Copy and delete are
 * idempotent (the DLQ dedupes on `dlq:<stream>:<seq>`, a missing source message is already moved),
 * so a crash between the two steps only repeats them.
 */
export const advisorySchema = z.object({
  type: z.string(),
  stream: z.string(),
  consumer: z.string(),
  stream_seq: z.number().int().positive(),
  deliveries: z.number().int().nonnegative(),
});

const SOURCES: Record<string, string> = { [STREAMS.up.name]: 'up', [STREAMS.dispatch.name]: 'dispatch' };

export function createDeadLetterHandlers(deps: { nc: NatsConnection; log: Logger }) {
  const jsmP = jetstreamManager(deps.nc);
  const js = jetstream(deps.nc);
  return {
    async moveExhausted(msg: JsMsg): Promise<void> {
      let parsed;
      try {
        parsed = advisorySchema.safeParse(JSON.parse(msg.string()));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) throw new PermanentError('bad_advisory', 'advisory is not a max-deliveries advisory');
      const adv = parsed.data;
      const source = SOURCES[adv.stream];
      if (!source) throw new PermanentError('unknown_source', 'advisory for a stream this worker does not move');
      const jsm = await jsmP;
      const original = await jsm.streams.getMessage(adv.stream, { seq: adv.stream_seq });
      if (!original) {
        // Already moved (in-handler dead-letter, or an earlier attempt of this one) or aged out.
        deps.log.info({ stream: adv.stream, seq: adv.stream_seq }, 'exhausted message no longer in its stream; nothing to move');
        return;
      }
      const headers = dlqHeaders({
        reason: 'max_deliveries',
        stream: adv.stream,
        streamSeq: adv.stream_seq,
        subject: original.subject,
        consumer: adv.consumer,
        deliveries: adv.deliveries,
      });
      await js.publish(dlqSubject(source, 'max_deliveries'), original.data, { headers });
      // Deleted meanwhile by someone else: the move is complete either way.
      await deleteStreamMessage(jsm, adv.stream, adv.stream_seq);
      deps.log.warn(
        { stream: adv.stream, seq: adv.stream_seq, consumer: adv.consumer, deliveries: adv.deliveries },
        'exhausted message moved to the DLQ',
      );
    },
  };
}

export async function startDeadLetterMover(opts: { nc: NatsConnection; log: Logger }) {
  const handlers = createDeadLetterHandlers(opts);
  const js = jetstream(opts.nc);
  return startWorker({
    nc: opts.nc,
    stream: STREAMS.advisories.name,
    durable: 'dead-letter-mover',
    // An advisory that cannot be handled stays; it is small and the move is idempotent.
    maxDeliver: -1,
    ackWaitMs: 30_000,
    concurrency: 2,
    handle: handlers.moveExhausted,
    deadLetter: async (msg, reason) => {
      // Only for malformed advisories (PermanentError): keep a copy in the DLQ, never drop.
      const headers = dlqHeaders({ reason, stream: STREAMS.advisories.name, streamSeq: msg.seq });
      await js.publish(dlqSubject('advisory', reason), msg.data, { headers });
    },
    log: opts.log,
  });
}
