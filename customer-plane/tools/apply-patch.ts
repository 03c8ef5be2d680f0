import type { ToolInput, ToolResult } from '../../agents/tools.ts';
import { GitError } from '../workspace/git.ts';
import { type ExecutorContext, failed } from './types.ts';

/**
 * Applies a unified diff with `git apply` (argument array, the runtime's own repository config). The
 * gate has checked every path the diff names; git apply additionally refuses `..`, `.git` and writes
 * through symlinks. It is checked first, so a diff that does not apply changes nothing.
 */
export async function applyPatch(input: ToolInput<'apply_patch'>, paths: string[], ctx: ExecutorContext): Promise<ToolResult> {
  const git = ctx.workspace.privateGit;
  try {
    await git(['apply', '--check', '--whitespace=nowarn', '-'], { input: input.diff, signal: ctx.signal });
  } catch (err) {
    if (err instanceof GitError) return failed('failed', `the diff does not apply: ${firstLine(err.stderr)}`);
    throw err;
  }
  await git(['apply', '--whitespace=nowarn', '-'], { input: input.diff, signal: ctx.signal });
  return { ok: true, output: `applied to ${paths.length} file(s): ${paths.join(', ')}`, data: { files: paths.length } };
}

function firstLine(s: string): string {
  return (s.split('\n').find((l) => l.trim()) ?? 'unknown error').replace(/^error: /, '').slice(0, 300);
}
