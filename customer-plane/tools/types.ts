import type { ToolResult } from '../../agents/tools.ts';
import type { CommandRunner } from '../guard/types.ts';
import type { Workspace } from '../workspace/workspace.ts';

/** What an executor needs: the run's workspace, the command runner, and the step's abort signal. */
export type ExecutorContext = {
  workspace: Workspace;
  runner: CommandRunner;
  signal: AbortSignal;
  /**
   * The run's environment's secret scope: a {{secret:NAME}} in a call this step makes means the store's
   * `${secretPrefix}NAME`, never another environment's. (The gate checks names with it; substituting
   * values at execution is the secrets provider's.)
   */
  secretPrefix?: string;
  /** Injected for tests of fetch_url; the global fetch otherwise. */
  fetch?: typeof fetch;
  /** How long one search may run before it is killed (default 10 s). */
  searchTimeoutMs?: number;
};

/** Output handed back to an agent is capped; what was cut is flagged as truncated. */
export const MAX_OUTPUT_CHARS = 64 * 1024;

export function failed(reason: 'not_found' | 'too_large' | 'not_text' | 'failed' | 'timeout', message: string): ToolResult {
  return { ok: false, decision: 'error', reason, message };
}

export function capped(text: string, max = MAX_OUTPUT_CHARS): { output: string; truncated: boolean } {
  return text.length > max ? { output: text.slice(0, max), truncated: true } : { output: text, truncated: false };
}
