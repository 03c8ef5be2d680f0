import type { ToolInput, ToolResult } from '../../agents/tools.ts';
import type { ResolvedCommand } from '../guard/types.ts';
import { capped, type ExecutorContext, failed } from './types.ts';

const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_OUTPUT_BYTES = 256 * 1024;

/**
 * run_command and git: the argv arrays the command guard resolved run through the command runner (no
 * shell, scrubbed environment, in the sandbox when the machine has one), in the workspace.
 */
export async function runCommand(
  input: ToolInput<'run_command'> | ToolInput<'git'>,
  command: ResolvedCommand,
  ctx: ExecutorContext,
): Promise<ToolResult> {
  const timeoutMs = 'timeoutMs' in input && input.timeoutMs !== undefined ? input.timeoutMs : DEFAULT_TIMEOUT_MS;
  const outcome = await ctx.runner.run(command, {
    cwd: ctx.workspace.root,
    timeoutMs,
    maxOutputBytes: MAX_OUTPUT_BYTES,
    signal: ctx.signal,
  });
  if (outcome.timedOut) return failed('timeout', `the command did not finish within ${timeoutMs} ms and was stopped`);
  let text = outcome.stdout;
  if (outcome.stderr) text += `${text && !text.endsWith('\n') ? '\n' : ''}[stderr]\n${outcome.stderr}`;
  text += `${text && !text.endsWith('\n') ? '\n' : ''}[exit ${outcome.exitCode ?? `signal ${outcome.signal}`}]`;
  const { output, truncated } = capped(text);
  // The output is stdout, then `[stderr]` and stderr, then `[exit N]`; stdoutChars says where stdout
  // ends, so an agent can parse a machine-readable report (ESLint's or Ruff's JSON) on its own.
  const stdoutChars = Math.min(outcome.stdout.length, output.length);
  return {
    ok: true,
    output,
    truncated: truncated || outcome.truncated,
    data: { exitCode: outcome.exitCode, signal: outcome.signal, stdoutChars },
  };
}
