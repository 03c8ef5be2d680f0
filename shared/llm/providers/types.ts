import type { ModelSpec, ProviderName } from '../models.ts';
import type { NormalizedResult, StreamEvent } from '../normalized.ts';
import type { ChatRequest } from '../schema.ts';

export type ProviderCall = {
  /** The pruned, cache-shaped request, still in OpenAI form; adapters translate as needed. */
  request: ChatRequest;
  spec: ModelSpec;
  maxTokens: number;
  /** Per tenant+agent prompt-cache key. */
  cacheKey: string;
  signal: AbortSignal;
};

/** One upstream provider behind its official SDK client. */
export type ProviderAdapter = {
  name: ProviderName;
  complete(call: ProviderCall): Promise<NormalizedResult>;
  /** Resolves once the upstream accepted the stream (response headers), then yields events. */
  stream(call: ProviderCall): Promise<AsyncIterable<StreamEvent[]>>;
  /** Releases connections the adapter keeps (the pass-through transport's pool). */
  close?(): Promise<void>;
};

/**
 * The provider key: a string (the control plane's proxy, keys from its environment), or a function
 * called before each request (the customer plane's direct mode reads it from its secret store at
 * use, so a rotated key is taken by the next call and none is held).
 */
export type ApiKey = string | (() => Promise<string>);

export type ProviderConfig = { apiKey: ApiKey; baseURL: string };
