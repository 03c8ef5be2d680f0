import type { ToolInput, ToolResult } from '../../agents/tools.ts';
import { AgentplaneError } from '../../shared/errors.ts';
import type { ResolvedCommand } from '../guard/types.ts';
import { commandReferences, substituteEnv, substituteSecrets } from '../secrets/substitute.ts';
import { capped, type ExecutorContext, failed } from './types.ts';

const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_OUTPUT_BYTES = 256 * 1024;

/**
 * The argv and (run_command) the environment variables with the secrets they reference, read now. A
 * reference without the run's secrets cannot happen past the gate; it is refused here too rather than
 * run with the literal placeholder.
 */
async function withSecrets(
  command: ResolvedCommand,
  env: Record<string, string> | undefined,
  ctx: ExecutorContext,
): Promise<{ command: ResolvedCommand; env?: Record<string, string> }> {
  const secrets = ctx.secrets;
  const hasEnv = env !== undefined && Object.keys(env).length > 0;
  if (!secrets) {
    if (hasEnv || commandReferences(command).length) throw new AgentplaneError('secret_unknown', 'this run has no secrets to substitute');
    return { command };
  }
  const resolve = (name: string) => secrets.resolve(name);
  return { command: await substituteSecrets(command, resolve), ...(hasEnv ? { env: await substituteEnv(env, resolve) } : {}) };
}

/**
 * run_command and git: the argv arrays the command guard resolved run through the command runner (no
 * shell, scrubbed environment, in the sandbox when the machine has one), in the workspace. Secret
 * references are replaced by their values only in what is handed to the runner: the argv (visible in
 * the machine's process list while the command runs) and run_command's `env` (in the command's
 * environment, which only its owner can read). What the command prints is masked before anything
 * else sees it.
 */
export async function runCommand(
  input: ToolInput<'run_command'> | ToolInput<'git'>,
  command: ResolvedCommand,
  ctx: ExecutorContext,
): Promise<ToolResult> {
  const timeoutMs = 'timeoutMs' in input && input.timeoutMs !== undefined ? input.timeoutMs : DEFAULT_TIMEOUT_MS;
  let run: Awaited<ReturnType<typeof withSecrets>>;
  try {
    // Only run_command has env (git's schema has no such field; a stray one is never read).
    run = await withSecrets(command, 'command' in input ? input.env : undefined, ctx);
  } catch (err) {
    if (err instanceof AgentplaneError) return failed('failed', `the command was not run: ${err.message}`);
    throw err;
  }
  const outcome = await ctx.runner.run(run.command, {
    cwd: ctx.workspace.root,
    timeoutMs,
    maxOutputBytes: MAX_OUTPUT_BYTES,
    signal: ctx.signal,
    ...(run.env ? { env: run.env } : {}),
  });
  if (outcome.timedOut) return failed('timeout', `the command did not finish within ${timeoutMs} ms and was stopped`);
  // Each stream is masked on its own, before they are joined: a stream cut at the cap may end in half a secret.
  const masker = ctx.secrets?.masker;
  const stdout = masker ? (outcome.truncated ? masker.maskCut(outcome.stdout) : masker.mask(outcome.stdout)) : outcome.stdout;
  const stderr = masker ? (outcome.truncated ? masker.maskCut(outcome.stderr) : masker.mask(outcome.stderr)) : outcome.stderr;
  let text = stdout;
  if (stderr) text += `${text && !text.endsWith('\n') ? '\n' : ''}[stderr]\n${stderr}`;
  text += `${text && !text.endsWith('\n') ? '\n' : ''}[exit ${outcome.exitCode ?? `signal ${outcome.signal}`}]`;
  const { output, truncated } = capped(text);
  // The output is stdout, then `[stderr]` and stderr, then `[exit N]`; stdoutChars says where stdout
  // ends, so an agent can parse a machine-readable report (ESLint's or Ruff's JSON) on its own.
  const stdoutChars = Math.min(stdout.length, output.length);
  return {
    ok: true,
    output,
    truncated: truncated || outcome.truncated,
    data: { exitCode: outcome.exitCode, signal: outcome.signal, stdoutChars },
  };
}
