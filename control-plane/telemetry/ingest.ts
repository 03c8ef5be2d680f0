import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../shared/log.ts';
import { dlqPublisher, startWorker } from '../../shared/jetstream-worker.ts';
import { RetryableError } from '../../shared/worker-errors.ts';
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
        if ((err as { retryable?: boolean }).retryable === false) throw err;
        throw new RetryableError('store_failed', 'could not store batch', { cause: err });
      }
      deps.log.debug({ tenant: batch.tenant, kind: batch.kind, seq: batch.seq, events: batch.events.length, outcome }, 'up batch ingested');
      if (outcome === 'stored') deps.onStored?.(batch);
    },
  };
}

export async function startIngest(opts: IngestDeps & { nc: NatsConnection; maxDeliver?: number; ackWaitMs?: number; concurrency?: number }) {
  const handlers = createHandlers(opts);
  return startWorker({
    nc: opts.nc,
    stream: STREAMS.up.name,
    durable: 'ingest',
    maxDeliver: opts.maxDeliver ?? 5,
    ackWaitMs: opts.ackWaitMs ?? 30_000,
    concurrency: opts.concurrency ?? 4,
    handle: handlers.handleUpBatch,
    deadLetter: dlqPublisher(opts.nc, (reason) => dlqSubject('up', reason), { removeFromSource: true }),
    log: opts.log,
  });
}
