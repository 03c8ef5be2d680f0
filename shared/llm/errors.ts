import { AppError, type ErrorOptions } from '../errors.ts';
import type { LlmMeta } from './core.ts';

/**
 * Errors of the LLM gateway. Each has a stable `code` (OpenAI's own code where one exists, so an
 * OpenAI-compatible client recognises it) and an HTTP status; `type` is OpenAI's error type field.
 */
export class LlmError extends AppError {
  readonly type: string;
  readonly param: string | null;
  /** Seconds the caller should wait before retrying, where that is known. */
  readonly retryAfterSeconds?: number;
  /**
   * The provider's own id of the request that failed (OpenAI's x-request-id, Anthropic's
   * request-id), when it sent one: what the provider's support asks for. Logged, never sent on.
   */
  readonly providerRequestId?: string;
  constructor(code: string, status: number, type: string, message: string, opts: LlmErrorOptions = {}) {
    super(code, status, message, opts);
    this.type = type;
    this.param = opts.param ?? null;
    this.retryAfterSeconds = opts.retryAfterSeconds;
    if (opts.providerRequestId) this.providerRequestId = opts.providerRequestId;
  }
}

export type LlmErrorOptions = ErrorOptions & { param?: string | null; retryAfterSeconds?: number; providerRequestId?: string };

/** The request itself is malformed or asks for something unsupported. */
export class LlmInvalidRequestError extends LlmError {
  constructor(message: string, opts: ErrorOptions & { param?: string | null; code?: string } = {}) {
    super(opts.code ?? 'invalid_request', 400, 'invalid_request_error', message, opts);
  }
}

/** `model` is not an agentplane tier. */
export class UnknownModelError extends LlmError {
  constructor(model: string) {
    // The name goes in the message only after being cut short: it is caller input.
    super('model_not_found', 400, 'invalid_request_error', `unknown model "${model.slice(0, 40)}"; use one of core, ultra`, {
      param: 'model',
    });
  }
}

/** The messages do not fit the model's window even after pruning everything prunable. */
export class ContextOverflowError extends LlmError {
  constructor(needed: number, allowed: number) {
    super(
      'context_length_exceeded',
      400,
      'invalid_request_error',
      `messages need ${needed} tokens after pruning, but the model allows ${allowed} (window minus output reserve)`,
      { param: 'messages', details: { needed, allowed } },
    );
  }
}

/** A provider rejected the request as the caller's fault (a 4xx that is not 408/409/429). */
export class UpstreamRejectedError extends LlmError {
  constructor(status: number, provider: string, opts: LlmErrorOptions = {}) {
    super('upstream_rejected', status, 'invalid_request_error', `${provider} rejected the request (status ${status})`, opts);
  }
}

/** A provider answered with something that is not its protocol (HTML error page, truncated JSON). */
export class UpstreamBadResponseError extends LlmError {
  constructor(provider: string, opts: LlmErrorOptions = {}) {
    super('upstream_bad_response', 502, 'api_error', `${provider} returned a malformed response`, opts);
  }
}

/**
 * A provider sent an `{"error": ...}` event inside a stream it had accepted with a 200 (e.g.
 * overloaded): a failure of the provider, which fails over like a 5xx.
 */
export class UpstreamErrorEvent extends LlmError {
  constructor(provider: string, opts: LlmErrorOptions = {}) {
    super('upstream_error_event', 502, 'api_error', `${provider} sent an error event in the stream`, opts);
  }
}

/** Every configured provider failed or is behind an open breaker. */
export class UpstreamUnavailableError extends LlmError {
  constructor(message: string, opts: LlmErrorOptions & { status?: number } = {}) {
    super('upstream_unavailable', opts.status ?? 503, 'api_error', message, opts);
  }
}

/**
 * The caller went away before the answer (or a stream's first chunk) reached it. The provider
 * attempt under way is still billed by the provider, so the error carries what to count: `meta`,
 * with `cancelled` set and usage from the provider's report or, without one, our estimate.
 * 499 is the nginx convention for "client closed request"; nobody is left to read it.
 */
export class LlmCallerGoneError extends LlmError {
  readonly meta: LlmMeta;
  constructor(meta: LlmMeta, opts: ErrorOptions = {}) {
    super('client_closed', 499, 'invalid_request_error', 'the caller closed the request before it finished', opts);
    this.meta = meta;
  }
}
