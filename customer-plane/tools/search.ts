import { createInterface } from 'node:readline';
import type { ToolInput, ToolResult } from '../../agents/tools.ts';
import { spawnGit } from '../workspace/git.ts';
import { type ExecutorContext, failed } from './types.ts';

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_LINE = 400;

/**
 * Searches file contents with `git grep --no-index` (every file of the workspace, `.git`, installed dependencies
 * and ignored files excluded as in the snapshots, binaries skipped): a literal string by default, a POSIX extended regular expression with `regex`.
 * The match runs in its own process under a timeout and is killed when it has found enough, so no
 * pattern — however catastrophic — can stall the runner. Output lines are `path:line:text`.
 */
export async function search(input: ToolInput<'search'>, ctx: ExecutorContext): Promise<ToolResult> {
  const max = input.maxResults ?? 200;
  const timeoutMs = ctx.searchTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const args = ['grep', '--no-index', '--exclude-standard', '--no-color', '-n', '-I', input.regex ? '-E' : '-F', '-e', input.pattern];
  if (input.dir !== undefined) args.push('--', input.dir);
  const child = spawnGit({ gitDir: ctx.workspace.privateGitDir, workTree: ctx.workspace.root }, args);
  const lines: string[] = [];
  let truncated = false;
  let timedOut = false;
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-2000);
  });
  const kill = () => child.kill('SIGKILL');
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, timeoutMs);
  ctx.signal.addEventListener('abort', kill, { once: true });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  try {
    for await (const line of createInterface({ input: child.stdout! })) {
      if (lines.length >= max) {
        truncated = true;
        kill();
        break;
      }
      lines.push(line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line);
    }
    const code = await exited;
    if (timedOut) return failed('timeout', `the search took longer than ${timeoutMs} ms and was stopped`);
    if (!truncated && code !== 0 && code !== 1) {
      return failed('failed', input.regex ? 'the pattern is not a valid POSIX extended regular expression' : 'the search failed');
    }
    return { ok: true, output: lines.join('\n'), truncated, data: { matches: lines.length } };
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', kill);
    if (child.exitCode === null) kill();
  }
}
