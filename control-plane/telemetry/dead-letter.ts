import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../shared/log.ts';
import { startMaxDeliveriesMover } from '../../shared/max-deliveries-mover.ts';
import { STREAMS, dlqSubject } from '../hub/streams.ts';

/**
 * The hub's exhausted messages (AP_UP batches, AP_DISPATCH requests whose consumer crashed or hung on
 * every delivery) are moved to AP_DLQ by the shared max-deliveries mover (shared/max-deliveries-mover.ts),
 * from the advisories AP_ADVISORIES captures.
 */
export function startDeadLetterMover(opts: { nc: NatsConnection; log: Logger }) {
  return startMaxDeliveriesMover({
    nc: opts.nc,
    log: opts.log,
    advisoryStream: STREAMS.advisories.name,
    durable: 'dead-letter-mover',
    sources: {
      [STREAMS.up.name]: dlqSubject('up', 'max_deliveries'),
      [STREAMS.dispatch.name]: dlqSubject('dispatch', 'max_deliveries'),
    },
    badAdvisorySubject: (reason) => dlqSubject('advisory', reason),
  });
}
