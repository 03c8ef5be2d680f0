import type { ToolResult } from '../../agents/tools.ts';
import type { CommandRunner } from '../guard/types.ts';
import type { Workspace } from '../workspace/workspace.ts';
import type { Masker } from '../secrets/masker.ts';

/** What an executor needs: the run's workspace, the command runner, and the step's abort signal. */
export type ExecutorContext = {
  workspace: Workspace;
  runner: CommandRunner;
  signal: AbortSignal;
  /** Injected for tests of fetch_url; the global fetch otherwise. */
  fetch?: typeof fetch;
  /** How long one search may run before it is killed (default 10 s). */
  searchTimeoutMs?: number;
  /**
   * The run's secrets: `resolve` reads a referenced secret's value at the moment a command starts; the
   * masker masks what the command printed. Absent: a command with a reference is never started.
   */
  secrets?: { resolve(name: string): Promise<string>; masker: Masker };
};

/** Output handed back to an agent is capped; what was cut is flagged as truncated. */
export const MAX_OUTPUT_CHARS = 64 * 1024;

export function failed(reason: 'not_found' | 'too_large' | 'not_text' | 'failed' | 'timeout', message: string): ToolResult {
  return { ok: false, decision: 'error', reason, message };
}

export function capped(text: string, max = MAX_OUTPUT_CHARS): { output: string; truncated: boolean } {
  return text.length > max ? { output: text.slice(0, max), truncated: true } : { output: text, truncated: false };
}
