import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../shared/log.ts';
import { dlqPublisher, startWorker } from '../../shared/jetstream-worker.ts';
import { RetryableError, isPermanent } from '../../shared/worker-errors.ts';
import { STREAMS, dlqSubject } from '../hub/streams.ts';
import type { VerifiedBatch } from './verify-batch.ts';

export type IngestDeps = {
  verify: (subject: string, data: Uint8Array) => Promise<VerifiedBatch>;
  store: (batch: VerifiedBatch, streamSeq: number) => Promise<'stored' | 'duplicate'>;
  log: Logger;
  onStored?: (batch: VerifiedBatch) => void;
};

/** Handlers for the hub ingest consumer: verification failures are permanent, storage failures retry. */
export function createHandlers(deps: IngestDeps) {
  return {
    async handleUpBatch(msg: JsMsg): Promise<void> {
      const batch = await deps.verify(msg.subject, msg.data);
      let outcome: 'stored' | 'duplicate';
      try {
        outcome = await deps.store(batch, msg.seq);
      } catch (err) {
        if (isPermanent(err)) throw err;
        throw new RetryableError('store_failed', 'could not store batch', { cause: err });
      }
      deps.log.debug({ tenant: batch.tenant, kind: batch.kind, seq: batch.seq, events: batch.events.length, outcome }, 'up batch ingested');
      if (outcome === 'stored') deps.onStored?.(batch);
    },
  };
}

export async function startIngest(
  opts: IngestDeps & { nc: NatsConnection; maxDeliver?: number; ackWaitMs?: number; concurrency?: number },
) {
  const handlers = createHandlers(opts);
  return startWorker({
    nc: opts.nc,
    stream: STREAMS.up.name,
    durable: 'ingest',
    // Generous: a store failure (Postgres down) retries with backoff capped at 30 s, so ~10 minutes of
    // outage before the DLQ; and nats-server before 2.10.16 counts failed deliveries to a crashed
    // consumer's lingering pull requests as deliveries (nats-server#5338), which a small limit turns
    // into false dead letters. Verification failures do not wait for this: they go to the DLQ at once.
    maxDeliver: opts.maxDeliver ?? 25,
    // Storing a batch takes milliseconds; a redelivery racing a slow store is harmless (the (kid, seq)
    // claim makes it a duplicate), so a short wait only means a crashed consumer is replaced sooner.
    ackWaitMs: opts.ackWaitMs ?? 10_000,
    concurrency: opts.concurrency ?? 4,
    handle: handlers.handleUpBatch,
    deadLetter: dlqPublisher(opts.nc, (reason) => dlqSubject('up', reason), { removeFromSource: true }),
    log: opts.log,
  });
}
