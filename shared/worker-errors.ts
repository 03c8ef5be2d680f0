/**
 * Worker handlers say what should happen to a message by what they throw: a RetryableError is
 * redelivered later (nak with delay), a PermanentError goes to the dead-letter stream with its reason
 * and is never retried (term). Anything else is treated as retryable: a bug should not lose data.
 */
export class RetryableError extends Error {
  readonly retryable = true;
  readonly reason: string;
  constructor(reason: string, message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'RetryableError';
    this.reason = reason;
  }
}

export class PermanentError extends Error {
  readonly retryable = false;
  readonly reason: string;
  constructor(reason: string, message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'PermanentError';
    this.reason = reason;
  }
}

/** Capped exponential backoff with full jitter; the RNG is injectable so tests are deterministic. */
export function backoffMs(attempt: number, opts: { baseMs?: number; capMs?: number; random?: () => number } = {}): number {
  const base = opts.baseMs ?? 250;
  const cap = opts.capMs ?? 30_000;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (opts.random ?? Math.random)() * (ceiling / 2));
}
