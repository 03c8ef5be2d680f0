import type { FastifyInstance } from 'fastify';
import { REQUEST_ID_HEADER } from '../../../../shared/request-id.ts';

/**
 * Echoes the request id (taken from `x-request-id` when the caller sent a sane one, else generated)
 * so a caller can quote it in a support ticket and we can find every log line of that request.
 */
export function installRequestId(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply) => {
    reply.header(REQUEST_ID_HEADER.http, req.id);
  });
}
