import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { dispatchQueueSubject } from '../hub/streams.ts';
import { REQUEST_ID_HEADER } from '../../shared/request-id.ts';

import type { Dispatch } from '../../shared/dispatch.ts';

export function createDispatcher(deps: { nc: NatsConnection }) {
  const js = jetstream(deps.nc);
  return {
    /** Queues the dispatch on the hub; dedupe on the workflow id makes a retried POST harmless. */
    async enqueue(d: Dispatch, opts: { requestId?: string } = {}): Promise<void> {
      const h = natsHeaders();
      // The request id travels with the dispatch so both planes' logs of one workflow can be joined.
      if (opts.requestId) h.set(REQUEST_ID_HEADER.nats, opts.requestId);
      await js.publish(dispatchQueueSubject(d.tenant), JSON.stringify(d), { msgID: d.workflowId, headers: h });
    },
  };
}
export type Dispatcher = ReturnType<typeof createDispatcher>;
