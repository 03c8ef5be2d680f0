import type { FastifyInstance } from 'fastify';
import { AppError, UnavailableError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
import { clientErrorOf } from '../http/middleware/error-handler/index.ts';
import { createOutageLog } from '../http/middleware/error-handler/outage-log.ts';
import { LlmCallerGoneError, LlmError } from '../../shared/llm/index.ts';

/**
 * Errors on the proxy's routes in OpenAI's shape `{error: {message, type, code, param}}`, which is
 * what OpenAI clients parse. Registered inside the proxy plugin only, so fastify's encapsulation
 * keeps the service-wide `{error: {code, message}}` handler for every other route.
 * Error causes are never logged here: a provider's error body can quote the prompt back.
 */
function typeFor(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  return status >= 500 ? 'api_error' : 'invalid_request_error';
}

export function openAIErrorBody(err: unknown): {
  status: number;
  body: { error: { message: string; type: string; code: string; param: string | null } };
  retryAfter?: number;
} {
  if (err instanceof LlmError) {
    return {
      status: err.status,
      body: { error: { message: err.message, type: err.type, code: err.code, param: err.param } },
      retryAfter: err.retryAfterSeconds,
    };
  }
  if (err instanceof AppError) {
    return {
      status: err.status,
      body: { error: { message: err.message, type: typeFor(err.status), code: err.code, param: null } },
      retryAfter: err instanceof UnavailableError ? err.retryAfterSeconds : undefined,
    };
  }
  const client = clientErrorOf(err);
  if (client) {
    return {
      status: client.status,
      body: { error: { message: client.message, type: typeFor(client.status), code: client.code, param: null } },
    };
  }
  return { status: 500, body: { error: { message: 'internal error', type: 'api_error', code: 'internal', param: null } } };
}

/** `log`, when given, writes the line (with the request id) instead of the route's request logger. */
export function installOpenAIErrors(app: FastifyInstance, log?: Logger): void {
  const outages = createOutageLog(log ?? (app.log as unknown as Logger));
  app.setErrorHandler((err, req, reply) => {
    const { status, body, retryAfter } = openAIErrorBody(err);
    const out = log ?? req.log;
    const reqId = log ? { reqId: req.id } : {};
    // A caller who left: the route already wrote the request's one line, with what it is billed.
    if (err instanceof LlmCallerGoneError) return reply.status(status).send(body);
    // The provider's own request id, when an upstream answer caused this: what its support asks for.
    const providerRequestId = err instanceof LlmError ? err.providerRequestId : undefined;
    // A dependency outage: one line per interval, not one per request.
    if (err instanceof UnavailableError) outages.note(err.dependency, err.cause);
    else if (status >= 500) {
      const e = err as { name?: string; code?: string };
      out.error({ ...reqId, code: body.error.code, status, errName: e?.name, providerRequestId }, 'llm request failed');
    } else out.info({ ...reqId, code: body.error.code, status, providerRequestId }, 'llm request rejected');
    if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
    return reply.status(status).send(body);
  });
}
