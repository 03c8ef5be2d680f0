import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { dispatchQueueSubject } from '../hub/streams.ts';
import { REQUEST_ID_HEADER } from '../../shared/request-id.ts';
import { UnavailableError } from '../../shared/errors.ts';
import { isHubUnavailable } from '../../shared/nats-errors.ts';

import type { Dispatch } from '../../shared/dispatch.ts';

/** How long a dispatch waits for the hub's acknowledgement before the request is refused (503). */
export const DISPATCH_PUBLISH_TIMEOUT_MS = 3000;

/**
 * Queues dispatches on the hub's AP_DISPATCH stream. While the hub is unreachable a dispatch is
 * refused at once with UnavailableError (503 + Retry-After) and the caller's transaction is rolled
 * back, so no `queued` row is left that nothing would ever dispatch.
 */
export function createDispatcher(deps: { nc: NatsConnection; hubConnected?: () => boolean }) {
  const js = jetstream(deps.nc, { timeout: DISPATCH_PUBLISH_TIMEOUT_MS });
  return {
    /** Queues the dispatch on the hub; dedupe on the workflow id makes a retried POST harmless. */
    async enqueue(d: Dispatch, opts: { requestId?: string } = {}): Promise<void> {
      if (deps.hubConnected && !deps.hubConnected()) throw hubDown();
      const h = natsHeaders();
      // The request id travels with the dispatch so both planes' logs of one workflow can be joined.
      if (opts.requestId) h.set(REQUEST_ID_HEADER.nats, opts.requestId);
      try {
        await js.publish(dispatchQueueSubject(d.tenant), JSON.stringify(d), { msgID: d.workflowId, headers: h });
      } catch (err) {
        if (isHubUnavailable(err)) throw hubDown(err);
        throw err;
      }
    },
  };
}

const hubDown = (cause?: unknown) =>
  new UnavailableError('hub', 'the dispatch queue (NATS hub) is unreachable; the workflow was not accepted, retry shortly', { cause });
export type Dispatcher = ReturnType<typeof createDispatcher>;
