import type { Db } from '../db/pool.ts';
import { inTransaction } from '../db/pool.ts';
import { projectWorkflowEvent } from '../db/workflows.ts';
import type { WorkflowEvent } from '../../shared/boundary.ts';
import { BatchRejected, type VerifiedBatch } from './verify-batch.ts';

/**
 * Stores a verified batch exactly once. (kid, seq) is claimed first: a redelivery of the same
 * stream message is a no-op; the same seq arriving as a different stream message is a replay.
 */
export function createBatchStore(db: Db) {
  return async function store(batch: VerifiedBatch, streamSeq: number): Promise<'stored' | 'duplicate'> {
    return inTransaction(db, async (client) => {
      const claim = await client.query(
        `INSERT INTO up_batches (kid, seq, tenant_id, kind, digest, events, stream_seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (kid, seq) DO NOTHING`,
        [batch.kid, batch.seq, batch.tenant, batch.kind, batch.digest, batch.events.length, streamSeq],
      );
      if (claim.rowCount === 0) {
        const { rows } = await client.query('SELECT digest, stream_seq FROM up_batches WHERE kid = $1 AND seq = $2', [
          batch.kid,
          batch.seq,
        ]);
        const prior = rows[0];
        if (prior && prior.digest === batch.digest && Number(prior.stream_seq) === streamSeq) return 'duplicate';
        throw new BatchRejected('replayed_seq', 'seq already used for this key');
      }
      const ids: string[] = [];
      const bodies: string[] = [];
      for (const e of batch.events) {
        ids.push((e as { eventId: string }).eventId);
        bodies.push(JSON.stringify(e));
      }
      await client.query(
        `INSERT INTO up_events (event_id, tenant_id, kind, kid, seq, body)
         SELECT id, $3, $4, $5, $6, body::jsonb FROM unnest($1::text[], $2::text[]) AS t(id, body)
         ON CONFLICT (event_id) DO NOTHING`,
        [ids, bodies, batch.tenant, batch.kind, batch.kid, batch.seq],
      );
      if (batch.kind === 'meta') {
        for (const e of batch.events) await projectWorkflowEvent(client, batch.tenant, e as WorkflowEvent);
      }
      return 'stored';
    });
  };
}
