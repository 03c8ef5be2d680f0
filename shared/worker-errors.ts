import { AgentplaneError, type ErrorOptions } from './errors.ts';

/**
 * Worker handlers say what should happen to a message by what they throw. Every WorkerError says
 * whether it is `retryable`: a retryable one is redelivered later (nak with backoff), a permanent one
 * goes to the dead-letter stream with its `code` as the reason and is never retried (term). Anything
 * that is not a WorkerError counts as retryable: a bug should not lose data.
 */
export class WorkerError extends AgentplaneError {
  readonly retryable: boolean;
  constructor(code: string, message: string, opts: ErrorOptions & { retryable: boolean }) {
    super(code, message, opts);
    this.retryable = opts.retryable;
  }
}

export class RetryableError extends WorkerError {
  constructor(code: string, message: string, opts: ErrorOptions = {}) {
    super(code, message, { ...opts, retryable: true });
  }
}

export class PermanentError extends WorkerError {
  constructor(code: string, message: string, opts: ErrorOptions = {}) {
    super(code, message, { ...opts, retryable: false });
  }
}

/** True for errors that must not be retried; unknown errors are retryable. */
export const isPermanent = (err: unknown): err is WorkerError => err instanceof WorkerError && !err.retryable;
