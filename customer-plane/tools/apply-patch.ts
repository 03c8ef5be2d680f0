import type { ToolInput, ToolResult } from '../../agents/tools.ts';
import { GitError, type Git } from '../workspace/git.ts';
import { type ExecutorContext, failed } from './types.ts';

/**
 * Applies a unified diff with `git apply` (argument array, the runtime's own repository config). The
 * gate has checked every path it read from the diff; before anything is written, git's own reading of
 * the diff must name no other file (see gitPatchPaths), so a difference between the two readers refuses
 * the patch instead of writing where the gate never looked. git apply additionally refuses `..`, `.git`
 * and writes through symlinks. It is checked first, so a diff that does not apply changes nothing.
 */
export async function applyPatch(input: ToolInput<'apply_patch'>, paths: string[], ctx: ExecutorContext): Promise<ToolResult> {
  const git = ctx.workspace.privateGit;
  try {
    const checked = new Set(paths);
    const unchecked = (await gitPatchPaths(git, input.diff, ctx.signal)).filter((p) => !checked.has(p));
    if (unchecked.length > 0) {
      return {
        ok: false,
        decision: 'deny',
        reason: 'path_invalid',
        message: `git reads this diff as changing ${unchecked.map((p) => JSON.stringify(p)).join(', ')}, which the gate did not check; nothing was applied`,
      };
    }
    await git(['apply', '--check', '--whitespace=nowarn', '-'], { input: input.diff, signal: ctx.signal });
  } catch (err) {
    if (err instanceof GitError) return failed('failed', `the diff does not apply: ${firstLine(err.stderr)}`);
    throw err;
  }
  await git(['apply', '--whitespace=nowarn', '-'], { input: input.diff, signal: ctx.signal });
  return { ok: true, output: `applied to ${paths.length} file(s): ${paths.join(', ')}`, data: { files: paths.length } };
}

/**
 * Every file git apply would create, change or delete, by git's own reading of the diff (it only parses:
 * --numstat turns applying off). Each file patch is listed by one name — its new one, or its old one when
 * it is deleted — so the diff is read twice, the second time reversed, which lists the other name: a
 * renamed file's source and a created file both show. -z: names exactly as git holds them, unquoted.
 * A name that is not UTF-8 cannot be compared with what the gate checked, so it is never matched.
 */
export async function gitPatchPaths(git: Git, diff: string, signal?: AbortSignal): Promise<string[]> {
  const names = new Set<string>();
  for (const direction of [[], ['--reverse']]) {
    const { stdout } = await git(['apply', '--numstat', '-z', ...direction, '-'], { input: diff, signal });
    for (const record of stdout.split('\0')) {
      if (record === '') continue;
      // "added<TAB>deleted<TAB>name": the name is everything after the second tab (it may hold tabs).
      const name = record.slice(record.indexOf('\t', record.indexOf('\t') + 1) + 1);
      names.add(name.includes('\uFFFD') ? `${name} (not UTF-8)` : name);
    }
  }
  return [...names];
}

function firstLine(s: string): string {
  return (s.split('\n').find((l) => l.trim()) ?? 'unknown error').replace(/^error: /, '').slice(0, 300);
}
