import type { Tier } from '../../shared/llm/index.ts';

/**
 * The LLM as the runner's agent loop uses it: OpenAI-style chat with tools, the same in direct mode
 * (the gateway core with the customer's keys) and routed mode (the control plane's proxy).
 */
export type RunnerToolCall = { id: string; type: 'function'; function: { name: string; arguments: string } };

export type RunnerMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: RunnerToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export type RunnerTool = { type: 'function'; function: { name: string; description: string; parameters: Record<string, unknown> } };

export type RunnerChatRequest = {
  model: Tier;
  messages: RunnerMessage[];
  tools?: RunnerTool[];
  tool_choice?: 'auto' | 'none' | 'required';
  response_format?: { type: 'json_schema'; json_schema: { name: string; schema: Record<string, unknown>; strict?: boolean } };
  max_tokens?: number;
};

/** What came back; `message` is read defensively by the loop (a model may say anything). */
export type RunnerChatResult = {
  completion: { choices: Array<{ message: { content?: string | null; tool_calls?: unknown[] | null }; finish_reason?: string | null }> };
  meta: { usage: { inputTokens: number; cachedInputTokens: number; cacheCreationTokens: number; outputTokens: number } };
};

export type RunnerLlm = {
  chat(
    request: RunnerChatRequest,
    ctx: { tenant: string; agent: string; requestId?: string; signal?: AbortSignal },
  ): Promise<RunnerChatResult>;
  close(): Promise<void>;
};
