import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, UnavailableError } from '../../../../shared/errors.ts';
import { clientErrorOf } from './client-errors.ts';
import { createOutageLog } from './outage-log.ts';
import type { Logger } from '../../../../shared/log.ts';
import { installJsonNotFound } from '../../../../shared/http-input.ts';

export { clientErrorHandler, clientErrorOf, frameworkErrors, type ClientError } from './client-errors.ts';

/**
 * One place turns every failure into `{error: {code, message}}`. Client mistakes (bad JSON, wrong
 * content type, oversized bodies, schema violations) are 4xx and name the problem; a dependency
 * that cannot be reached is 503 `unavailable` with Retry-After; anything unexpected is a 500 that says nothing about internals and is logged with the request id. Errors
 * before routing go through `frameworkErrors` and `clientErrorHandler` (client-errors.ts), which
 * the app passes to fastify when it creates it; the responses Node itself would write are covered
 * here, so no response of the service leaves in another shape.
 */
export function installErrorHandler(app: FastifyInstance, opts: { outageLogIntervalMs?: number } = {}): void {
  const outages = createOutageLog(app.log as unknown as Logger, { intervalMs: opts.outageLogIntervalMs });
  app.setErrorHandler((err: FastifyError | AppError | Error, req: FastifyRequest, reply: FastifyReply) => {
    // A dependency outage is not the caller's fault and not a bug: 503 with when to retry, and one
    // log line per interval instead of a stack trace per request.
    if (err instanceof UnavailableError) {
      outages.note(err.dependency, err.cause);
      return reply
        .status(503)
        .header('retry-after', String(err.retryAfterSeconds))
        .send({ error: { code: err.code, message: err.message } });
    }
    if (err instanceof AppError) {
      if (err.status >= 500) req.log.error({ err, code: err.code }, 'request failed');
      else req.log.info({ code: err.code, status: err.status }, 'request rejected');
      return reply.status(err.status).send({ error: { code: err.code, message: err.message, ...err.details } });
    }
    const client = clientErrorOf(err);
    if (client) {
      req.log.info({ code: client.code, status: client.status }, 'request rejected');
      return reply.status(client.status).send({ error: { code: client.code, message: client.message } });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'internal', message: 'internal error' } });
  });
  installJsonNotFound(app);

  // While draining for shutdown, new requests are refused in the same shape (fastify's built-in
  // refusal has its own), with Retry-After so a client or balancer tries another replica.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // One callback-style hook for both checks: it runs on every request, the LLM proxy's included.
  app.addHook('onRequest', (req, reply, done) => {
    if (closing) {
      reply
        .status(503)
        .header('retry-after', '1')
        .header('connection', 'close')
        .send({ error: { code: 'shutting_down', message: 'this replica is shutting down; retry' } });
      return;
    }
    // Node would answer a Host-less HTTP/1.1 request itself, with an empty body.
    if (req.headers.host === undefined && req.raw.httpVersion === '1.1') {
      reply.status(400).send({ error: { code: 'malformed_request', message: 'an HTTP/1.1 request needs a Host header' } });
      return;
    }
    done();
  });
  // Node answers any Expect other than 100-continue with an empty 417 unless someone listens.
  app.server.on('checkExpectation', (_req, res) => {
    const body = JSON.stringify({ error: { code: 'expectation_failed', message: 'only "Expect: 100-continue" is supported' } });
    res.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
  });
}
