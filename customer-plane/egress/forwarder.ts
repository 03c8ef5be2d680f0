import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import type { JsMsg } from '@nats-io/jetstream';
import type { Logger } from '../../shared/log.ts';
import { subjects, type UpKind } from '../../shared/subjects.ts';
import { startWorker } from '../../shared/jetstream-worker.ts';
import { PermanentError, RetryableError } from '../../shared/worker-errors.ts';
import { OUTBOX_STREAM, kindOfOutboxSubject } from './outbox.ts';

export type Forwarded = { kind: UpKind; msgId: string; data: Uint8Array; hubSeq: number; duplicate: boolean };

/**
 * Moves signed batches from the local outbox to the hub. The hub's stream acknowledges each
 * publish (the ack comes back down on the tenant's inbox subject); only then is the outbox message
 * acked. A lost ack means a re-send, which the hub drops as a duplicate of its Nats-Msg-Id.
 */
export function createHandlers(deps: {
  nc: NatsConnection;
  tenant: string;
  timeoutMs?: number;
  onForwarded?: (f: Forwarded) => void | Promise<void>;
}) {
  return {
    async forward(msg: JsMsg): Promise<void> {
      const kind = kindOfOutboxSubject(msg.subject);
      const msgId = msg.headers?.get('Nats-Msg-Id');
      if (!msgId) throw new PermanentError('no_msg_id', 'outbox message lacks Nats-Msg-Id');
      const h = natsHeaders();
      h.set('Nats-Msg-Id', msgId);
      let reply;
      try {
        reply = await deps.nc.request(subjects.up(deps.tenant, kind), msg.data, { timeout: deps.timeoutMs ?? 5000, headers: h });
      } catch (err) {
        throw new RetryableError('hub_unreachable', 'hub did not acknowledge', { cause: err });
      }
      let ack: { stream?: string; seq?: number; duplicate?: boolean; error?: { description?: string } };
      try {
        ack = JSON.parse(reply.string());
      } catch (err) {
        throw new RetryableError('hub_bad_ack', 'hub ack is not JSON', { cause: err });
      }
      if (ack.error || typeof ack.seq !== 'number')
        throw new RetryableError('hub_rejected', `hub stream refused: ${ack.error?.description ?? 'no seq'}`);
      await deps.onForwarded?.({ kind, msgId, data: msg.data, hubSeq: ack.seq, duplicate: Boolean(ack.duplicate) });
    },
  };
}

export async function startForwarder(opts: {
  nc: NatsConnection;
  tenant: string;
  log: Logger;
  onForwarded?: (f: Forwarded) => void | Promise<void>;
  concurrency?: number;
}) {
  const handlers = createHandlers(opts);
  return startWorker({
    nc: opts.nc,
    stream: OUTBOX_STREAM,
    durable: 'forwarder',
    // A hub outage can last; batches wait in the outbox for as long as it takes.
    maxDeliver: -1,
    ackWaitMs: 15_000,
    concurrency: opts.concurrency ?? 4,
    handle: handlers.forward,
    deadLetter: async () => {
      throw new Error('the outbox has no dead-letter: a batch that cannot be forwarded stays in the outbox');
    },
    log: opts.log,
  });
}
