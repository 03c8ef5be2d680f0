import { z } from 'zod';
import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { TEMPLATES } from '../../shared/boundary.ts';
import { ULID_RE } from '../../shared/ids.ts';
import { dispatchQueueSubject } from '../hub/streams.ts';
import { REQUEST_ID_HEADER } from '../../shared/subjects.ts';

/**
 * What goes down to a customer plane: the workflow id, a template from the closed list, and a repo
 * alias that the customer plane maps to a local path. The control plane never learns the path.
 */
export const dispatchSchema = z.strictObject({
  workflowId: z.string().regex(ULID_RE),
  tenant: z.string().uuid(),
  template: z.enum(TEMPLATES),
  repo: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'repo alias: lowercase letters, digits and dashes'),
  requestedAt: z.number().int(),
});
export type Dispatch = z.infer<typeof dispatchSchema>;

export function createDispatcher(deps: { nc: NatsConnection }) {
  const js = jetstream(deps.nc);
  return {
    /** Queues the dispatch on the hub; dedupe on the workflow id makes a retried POST harmless. */
    async enqueue(d: Dispatch, opts: { requestId?: string } = {}): Promise<void> {
      const h = natsHeaders();
      // The request id travels with the dispatch so both planes' logs of one workflow can be joined.
      if (opts.requestId) h.set(REQUEST_ID_HEADER, opts.requestId);
      await js.publish(dispatchQueueSubject(d.tenant), JSON.stringify(d), { msgID: d.workflowId, headers: h });
    },
  };
}
export type Dispatcher = ReturnType<typeof createDispatcher>;
