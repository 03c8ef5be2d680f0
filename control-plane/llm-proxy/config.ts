import { z } from 'zod';
import { DEFAULT_OPENAI_TRANSPORT, OPENAI_TRANSPORTS } from '../../shared/llm/index.ts';

/** Environment of the LLM proxy (routed mode). Secrets have no defaults. */
export const llmProxyEnvSchema = z.object({
  // OpenAI API key used for routed tenants; without it OpenAI is not configured.
  OPENAI_API_KEY: z.string().min(1).optional(),
  // OpenAI base URL including /v1; the fake provider's URL in the demo and tests.
  OPENAI_BASE_URL: z.url().default('https://api.openai.com/v1'),
  // How the proxy calls OpenAI. `sdk`: the official openai client for every call. `passthrough`:
  // a keep-alive undici pool, and when OpenAI is the primary a stream's upstream events are
  // forwarded to the caller as they arrive (model renamed to the tier; usage parsed for billing;
  // tool calls still sent whole); failover to Anthropic, before the first byte and mid-stream,
  // works as with `sdk`. Anthropic always goes through its official client. `npm run
  // bench:llm-proxy` measures both side by side. The default is the gateway's own.
  LLM_OPENAI_TRANSPORT: z.enum(OPENAI_TRANSPORTS).default(DEFAULT_OPENAI_TRANSPORT),
  // Anthropic API key; without it there is no secondary provider.
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  // Anthropic base URL (with or without a trailing /v1).
  ANTHROPIC_BASE_URL: z.url().default('https://api.anthropic.com'),
  // Per-tenant requests per minute across all replicas.
  LLM_RATE_LIMIT_RPM: z.coerce.number().int().min(1).default(600),
  // Per-tenant tokens per minute (input + output) across all replicas.
  LLM_RATE_LIMIT_TPM: z.coerce.number().int().min(1).default(2_000_000),
  // Per-tenant tokens per calendar month (UTC); requests are refused once it is used up.
  LLM_MONTHLY_TOKEN_BUDGET: z.coerce.number().int().min(1).default(500_000_000),
  // Time allowed for a non-streaming reply, or between two stream events.
  LLM_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),
  // Breaker: open after this many consecutive failures (a 50% failure rate over 10 s also opens it).
  LLM_BREAKER_CONSECUTIVE_FAILURES: z.coerce.number().int().min(1).default(5),
  // Breaker: let a probe through this long after opening.
  LLM_BREAKER_HALF_OPEN_MS: z.coerce.number().int().min(100).default(5_000),
  // How often usage counters are written to Postgres.
  LLM_USAGE_FLUSH_MS: z.coerce.number().int().min(100).default(10_000),
  // Redis for rate limits and budgets shared by replicas; unset = in-process (one replica only).
  REDIS_URL: z.string().min(1).optional(),
});

export type LlmProxyEnv = z.infer<typeof llmProxyEnvSchema>;
