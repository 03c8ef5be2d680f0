// Named errors with a stable `code` and an HTTP status. Handlers throw these; one error handler
// per service turns them into `{error: {code, message}}`. Anything else is a 500 with no detail.

export type ErrorOptions = { cause?: unknown; details?: Record<string, unknown> };

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details?: Record<string, unknown>;
  constructor(code: string, status: number, message: string, opts: ErrorOptions = {}) {
    super(message, { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.details = opts.details;
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
export class UnavailableError extends AppError {
  constructor(message: string, opts?: ErrorOptions & { code?: string }) {
    super(opts?.code ?? 'unavailable', 503, message, opts);
  }
}

/** Thrown at start when the environment is incomplete; names every problem at once. */
export class ConfigError extends Error {
  readonly code = 'config_invalid';
  readonly problems: string[];
  constructor(service: string, problems: string[]) {
    super(`${service}: invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
