import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from '../../shared/log.ts';
import { dispatchSchema } from '../../shared/dispatch.ts';
import { REQUEST_ID_HEADER, acceptedRequestId } from '../../shared/request-id.ts';
import { subjects } from '../../shared/subjects.ts';
import { createWorkQueue } from './work-queue.ts';
import { parseJsonOrUndefined } from '../../shared/json-text.ts';

/**
 * Takes dispatches arriving from the hub and puts them on the local work queue. Validation happens
 * here, at the edge: a malformed or other-tenant dispatch never reaches a runner.
 */
export function startIntake(deps: { nc: NatsConnection; tenant: string; log: Logger }): {
  sub: Subscription;
  stats(): { accepted: number; duplicate: number; invalid: number };
} {
  const queue = createWorkQueue(deps.nc);
  const counts = { accepted: 0, duplicate: 0, invalid: 0 };
  const sub = deps.nc.subscribe(subjects.down(deps.tenant));
  void (async () => {
    for await (const msg of sub) {
      const parsed = dispatchSchema.safeParse(parseJsonOrUndefined(msg.data));
      if (!parsed.success || parsed.data.tenant !== deps.tenant) {
        counts.invalid += 1;
        deps.log.warn({ subject: msg.subject }, 'invalid dispatch dropped');
        continue;
      }
      const requestId = acceptedRequestId(msg.headers?.get(REQUEST_ID_HEADER.nats));
      try {
        const fresh = await queue.enqueue(parsed.data.workflowId, msg.data, requestId);
        counts[fresh ? 'accepted' : 'duplicate'] += 1;
        if (fresh)
          deps.log.info({ workflowId: parsed.data.workflowId, template: parsed.data.template, reqId: requestId }, 'dispatch accepted');
      } catch (err) {
        // Not queued: the control plane re-sends until the workflow starts, so this is not a loss.
        deps.log.error({ err, workflowId: parsed.data.workflowId }, 'could not queue dispatch; awaiting re-send');
      }
    }
  })();
  return { sub, stats: () => ({ ...counts }) };
}
