import type { FastifyInstance } from 'fastify';
import { REQUEST_ID_HEADER } from '../../../../shared/request-id.ts';

/**
 * Echoes the request id (taken from `x-request-id` when the caller sent a sane one, else generated)
 * so a caller can quote it in a support ticket and we can find every log line of that request.
 * A callback hook rather than an async one: it runs on every response (the LLM proxy's included),
 * and an async hook costs a promise and a microtask before the response is written.
 */
export function installRequestId(app: FastifyInstance): void {
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header(REQUEST_ID_HEADER.http, req.id);
    done(null, payload);
  });
}
