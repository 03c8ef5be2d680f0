// One error convention for the whole codebase. Every error we throw on purpose is an AgentplaneError:
// a stable, lower-case `code` that callers, tests, logs and alerts match on (never the message), and
// the `cause` that led to it. HTTP errors add `status` (AppError and its subclasses; one error handler
// per service turns them into `{error: {code, message}}`); worker errors add `retryable`
// (shared/worker-errors.ts). Anything that is not one of ours is a 500 with no detail.

export type ErrorOptions = { cause?: unknown; details?: Record<string, unknown> };

/** Codes are identifiers: lower-case words joined by underscores, e.g. `config_invalid`. */
export const ERROR_CODE_RE = /^[a-z][a-z0-9_]*$/;

export class AgentplaneError extends Error {
  readonly code: string;
  /** Structured facts about the failure (never secrets, never user content); HTTP errors add them to the body. */
  readonly details?: Record<string, unknown>;
  constructor(code: string, message: string, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = opts.details;
  }
}

/** An error with an HTTP status: what a handler throws to refuse a request. */
export class AppError extends AgentplaneError {
  readonly status: number;
  constructor(code: string, status: number, message: string, opts: ErrorOptions = {}) {
    super(code, message, opts);
    this.status = status;
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, opts?: ErrorOptions & { code?: string }) {
    super(opts?.code ?? 'bad_request', 400, message, opts);
  }
}
export class UnauthorizedError extends AppError {
  constructor(message: string, opts?: ErrorOptions & { code?: string }) {
    super(opts?.code ?? 'unauthorized', 401, message, opts);
  }
}
export class ForbiddenError extends AppError {
  constructor(message: string, opts?: ErrorOptions & { code?: string }) {
    super(opts?.code ?? 'forbidden', 403, message, opts);
  }
}
export class NotFoundError extends AppError {
  constructor(message: string, opts?: ErrorOptions) {
    super('not_found', 404, message, opts);
  }
}
export class ConflictError extends AppError {
  constructor(message: string, opts?: ErrorOptions & { code?: string }) {
    super(opts?.code ?? 'conflict', 409, message, opts);
  }
}

/** Thrown at start when the environment is incomplete; names every problem at once. */
export class ConfigError extends AgentplaneError {
  readonly problems: string[];
  constructor(service: string, problems: string[]) {
    super('config_invalid', `${service}: invalid configuration: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/**
 * Something the operator must provide is missing or refused at start (a program that is not
 * installed, a database that cannot be reached or refuses the login): the message names the missing
 * piece and how to provide it. Services end on it with one line and exit code 78, like a ConfigError.
 */
export class OperatorError extends AgentplaneError {}

/**
 * A dependency the request needs (Postgres, the NATS hub, Redis) cannot be reached: the caller did
 * nothing wrong and should try again. Answered 503 `unavailable` with Retry-After; logged once per
 * interval per dependency, not once per request.
 */
export class UnavailableError extends AppError {
  readonly dependency: string;
  readonly retryAfterSeconds: number;
  constructor(dependency: string, message: string, opts: ErrorOptions & { retryAfterSeconds?: number } = {}) {
    super('unavailable', 503, message, opts);
    this.dependency = dependency;
    this.retryAfterSeconds = opts.retryAfterSeconds ?? 5;
  }
}
