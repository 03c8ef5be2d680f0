import { jetstreamManager, RetentionPolicy, StorageType, DiscardPolicy } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ensureStream } from '../../shared/jetstream-admin.ts';
import type { UpKind } from '../../shared/subjects.ts';

/**
 * The local outbox on the leaf's own JetStream: signed batches wait here until the hub has stored
 * them. Work-queue retention removes a batch only when the forwarder acks it, which it does only
 * after the hub's stream acknowledged. Full outbox = publishing fails = callers see backpressure;
 * nothing is discarded.
 */
export const OUTBOX_STREAM = 'AP_OUTBOX';
export const outboxSubject = (kind: UpKind) => `ap.local.outbox.${kind}`;
export const kindOfOutboxSubject = (subject: string): UpKind => subject.split('.').pop() as UpKind;

export async function ensureOutbox(nc: NatsConnection, opts: { maxBytes?: number } = {}): Promise<void> {
  await ensureStream(await jetstreamManager(nc), {
    name: OUTBOX_STREAM,
    subjects: ['ap.local.outbox.*'],
    storage: StorageType.File,
    retention: RetentionPolicy.Workqueue,
    discard: DiscardPolicy.New,
    max_bytes: opts.maxBytes ?? 1024 * 1024 * 1024,
    duplicate_window: 3600 * 1_000_000_000,
  });
}
