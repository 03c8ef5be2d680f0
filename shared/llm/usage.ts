import type { CompletionUsage } from 'openai/resources/completions';

/**
 * Token usage with the three kinds of input kept apart, because they are priced differently:
 * `inputTokens` is ordinary (uncached) input only, `cachedInputTokens` was read from a prompt cache,
 * `cacheCreationTokens` was written to one (Anthropic bills it above the ordinary rate).
 * Mixing them up, e.g. counting OpenAI's cached tokens twice, is the classic gateway billing bug.
 */
export type LlmUsage = {
  inputTokens: number;
  cachedInputTokens: number;
  cacheCreationTokens: number;
  outputTokens: number;
};

export const ZERO_USAGE: LlmUsage = Object.freeze({ inputTokens: 0, cachedInputTokens: 0, cacheCreationTokens: 0, outputTokens: 0 });

const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);

/** OpenAI reports prompt_tokens INCLUDING cached tokens; the cached part is subtracted out here. */
export function fromOpenAIUsage(u: Partial<CompletionUsage> | null | undefined): LlmUsage {
  if (!u) return { ...ZERO_USAGE };
  const prompt = n(u.prompt_tokens);
  const cached = Math.min(prompt, n(u.prompt_tokens_details?.cached_tokens));
  return { inputTokens: prompt - cached, cachedInputTokens: cached, cacheCreationTokens: 0, outputTokens: n(u.completion_tokens) };
}

type AnthropicUsageLike = {
  input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  output_tokens?: number | null;
};

/** Anthropic reports input_tokens EXCLUDING both cache reads and cache writes. */
export function fromAnthropicUsage(u: AnthropicUsageLike | null | undefined): LlmUsage {
  if (!u) return { ...ZERO_USAGE };
  return {
    inputTokens: n(u.input_tokens),
    cachedInputTokens: n(u.cache_read_input_tokens),
    cacheCreationTokens: n(u.cache_creation_input_tokens),
    outputTokens: n(u.output_tokens),
  };
}

/**
 * Anthropic streams usage twice: message_start carries input and cache counts, message_delta the
 * (cumulative) final counts, where input fields may be null. Later non-null values win.
 */
export function mergeAnthropicUsage(start: AnthropicUsageLike | undefined, delta: AnthropicUsageLike | undefined): LlmUsage {
  const pick = (k: keyof AnthropicUsageLike) => (delta?.[k] ?? start?.[k]) as number | null | undefined;
  return fromAnthropicUsage({
    input_tokens: pick('input_tokens'),
    cache_read_input_tokens: pick('cache_read_input_tokens'),
    cache_creation_input_tokens: pick('cache_creation_input_tokens'),
    output_tokens: pick('output_tokens'),
  });
}

export function addUsage(a: LlmUsage, b: LlmUsage): LlmUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
    cacheCreationTokens: a.cacheCreationTokens + b.cacheCreationTokens,
    outputTokens: a.outputTokens + b.outputTokens,
  };
}

/** Tokens in a text, estimated at four UTF-8 bytes each (the usual ratio for English and code). */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text) / 4);
}

/**
 * What one provider attempt is billed: the provider's usage report when it arrived, else an
 * estimate (the prompt as counted before the call plus what the attempt produced, read only for an
 * estimate). `promptBilled` says whether the provider is taken to have read the prompt without a
 * report: yes once the request went out and the caller then left (the provider carries on and
 * bills it); no for an attempt that failed before producing anything (an error reply is not billed).
 */
export function attemptBill(
  attempt: { readonly usage: LlmUsage | undefined; produced(): string },
  promptTokens: number,
  promptBilled: boolean,
): { usage: LlmUsage; estimated: boolean } {
  if (attempt.usage) return { usage: attempt.usage, estimated: false };
  const text = attempt.produced();
  if (!promptBilled && !text) return { usage: ZERO_USAGE, estimated: false };
  return { usage: { ...ZERO_USAGE, inputTokens: promptTokens, outputTokens: estimateTokens(text) }, estimated: true };
}

export function totalTokens(u: LlmUsage): number {
  return u.inputTokens + u.cachedInputTokens + u.cacheCreationTokens + u.outputTokens;
}

/**
 * The OpenAI-shaped usage we hand back. prompt_tokens counts every input token (so an OpenAI client
 * computing totals stays right), with cache reads in prompt_tokens_details.cached_tokens; cache writes
 * have no OpenAI field and are reported in the gateway's meta and usage counters.
 */
export function toOpenAIUsage(u: LlmUsage): CompletionUsage {
  const prompt = u.inputTokens + u.cachedInputTokens + u.cacheCreationTokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: u.outputTokens,
    total_tokens: prompt + u.outputTokens,
    prompt_tokens_details: { cached_tokens: u.cachedInputTokens },
  };
}
