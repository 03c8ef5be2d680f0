import { LlmError } from '../../shared/llm/index.ts';

/** Errors only the routed proxy raises: its per-tenant limits, in OpenAI's error shape. */

/** Per-tenant requests/min or tokens/min exceeded. */
export class RateLimitedError extends LlmError {
  constructor(what: 'requests' | 'tokens', retryAfterSeconds: number) {
    super('rate_limit_exceeded', 429, 'rate_limit_error', `rate limit reached for ${what} per minute`, { retryAfterSeconds });
  }
}

/** Per-tenant monthly token budget used up. */
export class BudgetExceededError extends LlmError {
  constructor(retryAfterSeconds: number) {
    super('insufficient_quota', 429, 'insufficient_quota', 'monthly token budget exhausted for this tenant', { retryAfterSeconds });
  }
}
