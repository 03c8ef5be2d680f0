import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { checkEvent, MAX_EVENTS_PER_BATCH, type BoundaryRejection, type UpEvent } from '../../shared/boundary.ts';
import { signBatch, type TenantSigningKey } from '../../shared/signing.ts';
import type { UpKind } from '../../shared/subjects.ts';
import type { Logger } from '../../shared/log.ts';
import { outboxSubject } from './outbox.ts';

export type EgressStats = {
  accepted: Record<UpKind, number>;
  rejected: Record<string, number>;
  batches: Record<UpKind, number>;
};

/**
 * The only way out of the customer plane. An event is checked against the boundary schema (a
 * rejection is counted and logged by field and rule, never by value), batched per kind, signed with
 * the tenant's key and written to the local outbox; the forwarder takes it from there.
 */
export function createEgress(deps: {
  nc: NatsConnection;
  tenant: string;
  /** The key itself, or a source that reads it from the secret store when a batch is signed. */
  key: TenantSigningKey | { kid: string; current(): Promise<TenantSigningKey> };
  seq: { next(): number };
  log: Logger;
  clock?: () => number;
  maxBatch?: number;
  flushIntervalMs?: number;
}) {
  const js = jetstream(deps.nc);
  const clock = deps.clock ?? Date.now;
  const maxBatch = Math.min(deps.maxBatch ?? 500, MAX_EVENTS_PER_BATCH);
  const pending: Record<UpKind, unknown[]> = { meta: [], otel: [], usage: [], patterns: [] };
  const stats: EgressStats = {
    accepted: { meta: 0, otel: 0, usage: 0, patterns: 0 },
    rejected: {},
    batches: { meta: 0, otel: 0, usage: 0, patterns: 0 },
  };
  let chain: Promise<void> = Promise.resolve();
  const timer = setInterval(() => void flush().catch((err) => deps.log.error({ err }, 'egress flush failed')), deps.flushIntervalMs ?? 200);
  timer.unref();

  // A batch signed but not yet acknowledged by the outbox, per kind: its events stay pending until the
  // write succeeds, and a retry re-sends the same JWS under the same dedupe id, so a write whose ack was
  // lost is stored once and a failed one loses nothing.
  const unacked: Partial<Record<UpKind, { size: number; jws: string; msgID: string }>> = {};

  async function writeBatch(kind: UpKind, key: TenantSigningKey): Promise<void> {
    let batch = unacked[kind];
    if (!batch) {
      const events = pending[kind].slice(0, maxBatch);
      const seq = deps.seq.next();
      const jws = await signBatch({ tenant: deps.tenant, seq, iat: Math.floor(clock() / 1000), kind, events }, key);
      batch = { size: events.length, jws, msgID: `${key.kid}:${seq}` };
      unacked[kind] = batch;
    }
    await js.publish(outboxSubject(kind), batch.jws, { msgID: batch.msgID });
    pending[kind].splice(0, batch.size);
    delete unacked[kind];
    stats.batches[kind] += 1;
  }

  /** Drains every pending event into signed batches, in order; resolves when they are in the outbox. */
  function flush(): Promise<void> {
    const work = chain.then(async () => {
      const kinds = (Object.keys(pending) as UpKind[]).filter((k) => pending[k].length);
      if (kinds.length === 0) return;
      // The key is read before any event is taken: a store that cannot be read now leaves them pending.
      const key = 'current' in deps.key ? await deps.key.current() : deps.key;
      for (const kind of kinds) {
        while (pending[kind].length) await writeBatch(kind, key);
      }
    });
    chain = work.catch(() => {});
    return work;
  }

  return {
    emit<K extends UpKind>(kind: K, event: UpEvent<K> | unknown): { ok: true } | { ok: false; rejection: BoundaryRejection } {
      const checked = checkEvent(kind, event);
      if (!checked.ok) {
        const key = `${kind}:${checked.rejection.field}:${checked.rejection.issue}`;
        stats.rejected[key] = (stats.rejected[key] ?? 0) + 1;
        deps.log.warn({ kind, field: checked.rejection.field, rule: checked.rejection.issue }, 'event rejected at the boundary; not sent');
        return { ok: false, rejection: checked.rejection };
      }
      pending[kind].push(checked.event);
      stats.accepted[kind] += 1;
      if (pending[kind].length >= maxBatch) void flush().catch((err) => deps.log.error({ err }, 'egress flush failed'));
      return { ok: true };
    },
    flush,
    stats: () => structuredClone(stats),
    async close(): Promise<void> {
      clearInterval(timer);
      await flush();
    },
  };
}
export type Egress = ReturnType<typeof createEgress>;
