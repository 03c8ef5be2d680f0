import type { JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../shared/log.ts';
import { REQUEST_ID_HEADER } from '../../shared/request-id.ts';
import { subjects } from '../../shared/subjects.ts';
import { linearDelays } from '../../shared/backoff.ts';
import { dlqPublisher, startWorker } from '../../shared/jetstream-worker.ts';
import { PermanentError } from '../../shared/worker-errors.ts';
import { STREAMS, dlqSubject } from '../hub/streams.ts';
import { dispatchSchema } from '../../shared/dispatch.ts';
import type { WorkflowStore } from '../db/workflows.ts';
import { parseJsonOrUndefined } from '../../shared/json-text.ts';

/**
 * Moves queued dispatches down to tenants. The hub has no way to hear "received" from a leaf except
 * through the signed up channel, so a dispatch stays queued and is re-sent until the customer plane's
 * signed `workflow.started` event has moved the workflow out of `queued`. The customer plane dedupes
 * by workflow id, so a re-send never runs a workflow twice.
 */
const UNKNOWN_WORKFLOW_TRIES = 8;

export function createHandlers(deps: { nc: NatsConnection; workflows: WorkflowStore; log: Logger }) {
  // Re-sent half a second later, then half a second later each time, up to every 15 s: a plane that
  // comes back after a short outage gets its dispatch within seconds, a long outage costs little.
  const resendDelay = linearDelays({ stepMs: 500, maxMs: 15_000 });
  return {
    async relay(msg: JsMsg): Promise<void | { retryInMs: number }> {
      const parsed = dispatchSchema.safeParse(parseJsonOrUndefined(msg.data));
      if (!parsed.success) throw new PermanentError('malformed_dispatch', 'queued dispatch is not valid');
      const d = parsed.data;
      const status = await deps.workflows.status(d.workflowId);
      // The API publishes a dispatch before it commits the workflow's row (so that a hub it cannot
      // reach leaves no row): a dispatch can arrive a moment before its row. Only one that stays
      // unknown is refused.
      if (status === undefined && msg.info.deliveryCount < UNKNOWN_WORKFLOW_TRIES) return { retryInMs: 200 * msg.info.deliveryCount };
      if (status === undefined) throw new PermanentError('unknown_workflow', 'dispatch for a workflow that does not exist');
      if (status !== 'queued') return; // accepted by the customer plane: done
      const requestId = msg.headers?.get(REQUEST_ID_HEADER.nats);
      const h = natsHeaders();
      if (requestId) h.set(REQUEST_ID_HEADER.nats, requestId);
      deps.nc.publish(subjects.down(d.tenant), msg.data, { headers: h });
      await deps.workflows.countDispatchAttempt(d.workflowId);
      return { retryInMs: resendDelay(msg.info.deliveryCount) };
    },
  };
}

export async function startRelay(opts: {
  nc: NatsConnection;
  workflows: WorkflowStore;
  log: Logger;
  /** Re-sends before a dispatch is given up on (~ maxDeliver × resend interval). */
  maxDeliver?: number;
}) {
  const handlers = createHandlers(opts);
  return startWorker({
    nc: opts.nc,
    stream: STREAMS.dispatch.name,
    durable: 'relay',
    maxDeliver: opts.maxDeliver ?? 400,
    ackWaitMs: 30_000,
    concurrency: 8,
    handle: handlers.relay,
    deadLetter: async (msg, reason, err) => {
      const d = dispatchSchema.safeParse(parseJsonOrUndefined(msg.data));
      if (d.success) await opts.workflows.markUndeliverable(d.data.workflowId);
      await dlqPublisher(opts.nc, (r) => dlqSubject('dispatch', r))(msg, reason, err);
    },
    log: opts.log,
  });
}
