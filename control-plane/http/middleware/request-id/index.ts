import type { FastifyInstance } from 'fastify';

/**
 * Echoes the request id (taken from `x-request-id` when the caller sent a sane one, else generated)
 * so a caller can quote it in a support ticket and we can find every log line of that request.
 */
export function installRequestId(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
}

export const REQUEST_ID_HEADER = 'x-request-id';
/** Accept caller ids only when they are short and plain; anything else is replaced. */
export const SAFE_REQUEST_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
