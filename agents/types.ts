import type { AgentName, ErrorCode } from '../shared/boundary.ts';
import type { Logger } from '../shared/log.ts';

/** What an agent may touch: files through the path-checked workspace, and the LLM through the gateway. */
export type AgentWorkspace = {
  listFiles(opts?: { maxFiles?: number }): Promise<string[]>;
  readFile(rel: string, opts?: { maxBytes?: number }): Promise<string>;
};

export type AgentLlm = {
  chat(
    request: { model: string; messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }>; max_tokens?: number },
    // Aborting `signal` gives the call up; the provider attempt under way is still billed.
    ctx: { tenant: string; agent: string; requestId?: string; signal?: AbortSignal },
  ): Promise<{
    completion: { choices: Array<{ message: { content: string | null } }> };
    meta: { usage: { inputTokens: number; cachedInputTokens: number; cacheCreationTokens: number; outputTokens: number } };
  }>;
};

export type AgentContext = {
  tenant: string;
  workflowId: string;
  workspace: AgentWorkspace;
  llm: AgentLlm;
  /** Outputs of earlier steps of this run; they stay in the customer plane. */
  previous: Record<string, unknown>;
  log: Logger;
};

export type AgentResult = {
  /** Stays local: written to the run record in the customer plane, never sent up. */
  output: unknown;
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
};

export type Agent = { name: AgentName; description: string; run(ctx: AgentContext): Promise<AgentResult> };

/** An agent failure with a code from the closed list, so the failure can be reported without its text. */
export class AgentError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'AgentError';
    this.code = code;
  }
}
