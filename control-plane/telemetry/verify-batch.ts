import { createHash } from 'node:crypto';
import { batchSchema, checkEvent, type UpEvent } from '../../shared/boundary.ts';
import { jwsKid, verifyBatch, SignatureError } from '../../shared/signing.ts';
import { parseUpSubject, type UpKind } from '../../shared/subjects.ts';
import { PermanentError } from '../../shared/worker-errors.ts';
import type { TenantStore } from '../db/tenants.ts';

/** Reason codes a batch is dead-lettered with; stable, because operators alert on them. */
export const REJECT_REASONS = [
  'bad_subject',
  'unknown_key',
  'wrong_tenant',
  'bad_signature',
  'malformed',
  'schema_invalid',
  'wrong_kind',
  'iat_out_of_window',
  'replayed_seq',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export class BatchRejected extends PermanentError {
  constructor(reason: RejectReason, message: string, cause?: unknown) {
    super(reason, message, { cause });
    this.name = 'BatchRejected';
  }
}

export type VerifiedBatch = {
  tenant: string;
  kind: UpKind;
  kid: string;
  seq: number;
  iat: number;
  digest: string;
  events: UpEvent<UpKind>[];
};

/**
 * Checks everything about an up batch before anything is stored: the key is registered, belongs to
 * the tenant named by the subject, the signature holds, the envelope names the same tenant and
 * kind, `iat` is inside the window, and every event passes the boundary schema. Replay of a used
 * `seq` is checked at store time, inside the transaction.
 */
export function createBatchVerifier(deps: {
  tenants: Pick<TenantStore, 'keyByKid'>;
  clock?: () => number;
  /** Oldest accepted iat: an outbox may hold batches through a long hub outage. */
  maxAgeSeconds?: number;
  maxFutureSeconds?: number;
}) {
  const clock = deps.clock ?? Date.now;
  const maxAge = deps.maxAgeSeconds ?? 7 * 24 * 3600;
  const maxFuture = deps.maxFutureSeconds ?? 300;
  return async function verify(subject: string, data: Uint8Array): Promise<VerifiedBatch> {
    const route = parseUpSubject(subject);
    if (!route) throw new BatchRejected('bad_subject', 'subject is not ap.up.<tenant>.<kind>');
    const jws = new TextDecoder().decode(data);
    const kid = jwsKid(jws);
    if (!kid) throw new BatchRejected('malformed', 'not a JWS with a kid');
    const key = await deps.tenants.keyByKid(kid);
    if (!key) throw new BatchRejected('unknown_key', 'kid is not registered');
    if (key.tenantId !== route.tenant) throw new BatchRejected('wrong_tenant', 'key belongs to another tenant');
    let payload: unknown;
    try {
      ({ payload } = await verifyBatch(jws, key.publicJwk));
    } catch (err) {
      const reason = err instanceof SignatureError && err.code === 'malformed' ? 'malformed' : 'bad_signature';
      throw new BatchRejected(reason, 'signature does not verify', err);
    }
    const env = batchSchema.safeParse(payload);
    if (!env.success) throw new BatchRejected('schema_invalid', 'envelope does not match the boundary schema');
    const batch = env.data;
    if (batch.tenant !== route.tenant) throw new BatchRejected('wrong_tenant', 'signed tenant differs from subject');
    if (batch.kind !== route.kind) throw new BatchRejected('wrong_kind', 'signed kind differs from subject');
    const now = Math.floor(clock() / 1000);
    if (batch.iat > now + maxFuture || batch.iat < now - maxAge) {
      throw new BatchRejected('iat_out_of_window', 'iat outside the accepted window');
    }
    const events: UpEvent<UpKind>[] = [];
    for (const raw of batch.events) {
      const checked = checkEvent(batch.kind, raw);
      if (!checked.ok) throw new BatchRejected('schema_invalid', `event field ${checked.rejection.field} violates the boundary schema`);
      events.push(checked.event);
    }
    return {
      tenant: batch.tenant,
      kind: batch.kind,
      kid,
      seq: batch.seq,
      iat: batch.iat,
      digest: createHash('sha256').update(data).digest('hex'),
      events,
    };
  };
}
