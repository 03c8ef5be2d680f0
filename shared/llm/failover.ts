import { APIError as AnthropicAPIError } from '@anthropic-ai/sdk';
import { APIError as OpenAIAPIError } from 'openai';
import { UpstreamBadResponseError, UpstreamErrorEvent } from './errors.ts';

/**
 * The one place that decides whether a provider failure moves the request to the other provider.
 * Fail over: 429, 5xx, 408/409, provider-side auth or model errors (401/403/404: our key or model
 * map is wrong, not the caller's request), timeouts, connection errors, malformed replies.
 * Do not fail over: 400/413/422, which the provider returns because of what the caller sent, and
 * a caller who hung up. The breaker counts exactly the failures that fail over.
 */

export type FailoverReason =
  | 'rate_limited'
  | 'server_error'
  | 'provider_config'
  | 'timeout'
  | 'connection'
  | 'bad_response'
  | 'request_rejected'
  | 'aborted';

export type FailoverDecision = {
  failover: boolean;
  reason: FailoverReason;
  status?: number;
  /** From Retry-After / retry-after-ms, when the provider sent one. */
  retryAfterMs?: number;
  /** The provider's id of the failed request (x-request-id, request-id), when the error carries it. */
  providerRequestId?: string;
};

/** Our watchdog fired: no response, or no stream event, within the allowed time. */
export class UpstreamTimeoutError extends Error {
  readonly code = 'upstream_timeout';
  constructor(ms: number) {
    super(`upstream sent nothing for ${ms} ms`);
    this.name = 'UpstreamTimeoutError';
  }
}

const REQUEST_CAUSED = new Set([400, 413, 422]);

export function decideFailover(err: unknown, callerSignal?: AbortSignal): FailoverDecision {
  if (callerSignal?.aborted) return { failover: false, reason: 'aborted' };
  if (err instanceof UpstreamTimeoutError) return { failover: true, reason: 'timeout' };
  if (err instanceof UpstreamBadResponseError || err instanceof SyntaxError) return { failover: true, reason: 'bad_response' };
  if (err instanceof UpstreamErrorEvent || isSdkErrorEvent(err)) return withRequestId({ failover: true, reason: 'server_error' }, err);
  const e = err as { status?: unknown; name?: unknown; headers?: unknown; code?: unknown; cause?: unknown } | null;
  const status = typeof e?.status === 'number' ? e.status : undefined;
  const name = typeof e?.name === 'string' ? e.name : '';
  if (status !== undefined) {
    const retryAfterMs = parseRetryAfter(e?.headers);
    if (status === 429) return withRequestId({ failover: true, reason: 'rate_limited', status, retryAfterMs }, err);
    if (status >= 500 || status === 408 || status === 409)
      return withRequestId({ failover: true, reason: 'server_error', status, retryAfterMs }, err);
    if (REQUEST_CAUSED.has(status)) return withRequestId({ failover: false, reason: 'request_rejected', status }, err);
    return withRequestId({ failover: true, reason: 'provider_config', status }, err);
  }
  if (/Timeout/i.test(name) || e?.code === 'ETIMEDOUT' || e?.code === 'UND_ERR_HEADERS_TIMEOUT')
    return { failover: true, reason: 'timeout' };
  // Everything else (resets, "terminated", refused connections, DNS) is the link, not the request.
  return { failover: true, reason: 'connection' };
}

/**
 * An `error` event inside an SSE stream the provider had accepted (e.g. overloaded), as the
 * official clients raise it: their plain APIError, without a status (their subclasses without one
 * are connection failures, timeouts and aborts).
 */
function isSdkErrorEvent(err: unknown): boolean {
  const proto = err ? Object.getPrototypeOf(err) : null;
  return (
    (proto === OpenAIAPIError.prototype || proto === AnthropicAPIError.prototype) && (err as { status?: unknown }).status === undefined
  );
}

function withRequestId(d: FailoverDecision, err: unknown): FailoverDecision {
  const id = providerRequestIdOf(err);
  if (id) d.providerRequestId = id;
  return d;
}

/**
 * The provider's request id on an error: the official clients' `requestID`, else the response's
 * x-request-id (OpenAI) or request-id (Anthropic) header. Cut short: it is the provider's text.
 */
export function providerRequestIdOf(err: unknown): string | undefined {
  const e = err as { requestID?: unknown; headers?: unknown; providerRequestId?: unknown } | null;
  const id = e?.providerRequestId ?? e?.requestID ?? header(e?.headers, 'x-request-id') ?? header(e?.headers, 'request-id');
  return typeof id === 'string' && id ? id.slice(0, 128) : undefined;
}

function header(headers: unknown, k: string): string | undefined {
  if (!headers) return undefined;
  const v = typeof (headers as Headers).get === 'function' ? (headers as Headers).get(k) : (headers as Record<string, unknown>)[k];
  return typeof v === 'string' ? v : undefined;
}

/** Reads Retry-After (seconds or HTTP date) or retry-after-ms from SDK error headers. */
export function parseRetryAfter(headers: unknown, now: number = Date.now()): number | undefined {
  const get = (k: string) => header(headers, k);
  const ms = Number(get('retry-after-ms'));
  if (get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms;
  const ra = get('retry-after');
  if (!ra) return undefined;
  const secs = Number(ra);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(ra);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** Retry-After for the caller when every provider failed: the soonest provider hint, capped, at least 1 s. */
export function retryAfterSecondsFor(decisions: FailoverDecision[], capSeconds = 60): number {
  const hints = decisions.map((d) => d.retryAfterMs).filter((v): v is number => v !== undefined);
  const soonest = hints.length ? Math.min(...hints) : 1000;
  return Math.min(capSeconds, Math.max(1, Math.ceil(soonest / 1000)));
}
