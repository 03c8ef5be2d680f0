import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
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
    return { status: err.status, body: { error: { message: err.message, type: typeFor(err.status), code: err.code, param: null } } };
  }
  const fe = err as FastifyError;
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code =
      fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'body_too_large'
        : fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'unsupported_media_type'
          : fe.statusCode === 400 && /JSON/.test(fe.message)
            ? 'invalid_json'
            : 'invalid_request';
    return { status: fe.statusCode, body: { error: { message: fe.message, type: typeFor(fe.statusCode), code, param: null } } };
  }
  return { status: 500, body: { error: { message: 'internal error', type: 'api_error', code: 'internal', param: null } } };
}

/** `log`, when given, writes the line (with the request id) instead of the route's request logger. */
export function installOpenAIErrors(app: FastifyInstance, log?: Logger): void {
  app.setErrorHandler((err, req, reply) => {
    const { status, body, retryAfter } = openAIErrorBody(err);
    const out = log ?? req.log;
    const reqId = log ? { reqId: req.id } : {};
    // A caller who left: the route already wrote the request's one line, with what it is billed.
    if (err instanceof LlmCallerGoneError) return reply.status(status).send(body);
    // The provider's own request id, when an upstream answer caused this: what its support asks for.
    const providerRequestId = err instanceof LlmError ? err.providerRequestId : undefined;
    if (status >= 500) {
      const e = err as { name?: string; code?: string };
      out.error({ ...reqId, code: body.error.code, status, errName: e?.name, providerRequestId }, 'llm request failed');
    } else out.info({ ...reqId, code: body.error.code, status, providerRequestId }, 'llm request rejected');
    if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
    return reply.status(status).send(body);
  });
}
