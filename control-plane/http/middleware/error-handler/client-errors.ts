import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** A client's mistake, as every control-plane response reports it. */
export type ClientError = { status: number; code: string; message: string };

/**
 * Fastify's own client errors (body parsing, URL decoding, routing), mapped to our codes once, for
 * the API's `{error: {code, message}}` and the LLM proxy's OpenAI shape alike. Where fastify's
 * message quotes the request (a URL), a fixed message replaces it.
 */
const FASTIFY_CLIENT_ERRORS: Record<string, { code: string; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'body_too_large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'invalid_content_length' },
  // An empty body is not JSON either: one code for both, on every route.
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_json' },
  FST_ERR_VALIDATION: { code: 'invalid_request' },
  FST_ERR_BAD_URL: { code: 'invalid_url', message: 'the URL path is not valid (malformed percent-encoding)' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'uri_too_long', message: 'a URL path segment is longer than allowed' },
};

/** The client error a fastify error stands for, or undefined when it is not the client's (a 5xx or a bug). */
export function clientErrorOf(err: unknown): ClientError | undefined {
  const fe = err as Partial<FastifyError> | null;
  if (typeof fe?.statusCode !== 'number' || fe.statusCode < 400 || fe.statusCode >= 500) return undefined;
  const known = fe.code ? FASTIFY_CLIENT_ERRORS[fe.code] : undefined;
  return { status: fe.statusCode, code: known?.code ?? 'bad_request', message: known?.message ?? fe.message ?? 'bad request' };
}

/**
 * Fastify's `frameworkErrors` option: errors raised before a route is found (a malformed percent
 * escape, an overlong path parameter) get the same JSON shape as every other response.
 */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const client = clientErrorOf(err);
  if (client) {
    req.log.info({ code: client.code, status: client.status }, 'request rejected');
    void reply.status(client.status).send({ error: { code: client.code, message: client.message } });
    return;
  }
  req.log.error({ err }, 'framework error');
  void reply.status(500).send({ error: { code: 'internal', message: 'internal error' } });
}

/** Node's parser errors (before fastify sees a request), by the code Node gives them. */
function rawClientError(err: NodeJS.ErrnoException): ClientError {
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, code: 'headers_too_large', message: 'the request line and headers are larger than allowed' };
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, code: 'request_timeout', message: 'the request was not received in time' };
  }
  return { status: 400, code: 'malformed_request', message: 'the request is not valid HTTP/1.1' };
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/**
 * Fastify's `clientErrorHandler` option: a request Node's HTTP parser refused (headers too large,
 * a broken request line, a timeout) is answered on the raw socket, in the JSON shape, and the
 * connection is closed, since the parser's position in the stream is lost.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, message } = rawClientError(err);
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
