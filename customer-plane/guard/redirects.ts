import { checkWorkspacePath } from './paths.ts';
import { type Refusal, refuse } from './refusal.ts';
import type { RawRedirect } from './syntax.ts';
import type { ResolvedCommand } from './types.ts';

type Target = { kind: 'stdin' | 'stdout' | 'stderr' | 'null' } | { kind: 'file'; path: string; append: boolean };

/**
 * Applies one stage's redirections in order, as bash does (`>f 2>&1` and `2>&1 >f` differ), and keeps
 * only what the runner can wire without a shell: workspace files (stdin of the first stage, stdout and
 * stderr of the last), `/dev/null`, and `2>&1`. Other descriptors, `>&2`, closing, and paths out of the
 * workspace (absolute, `..`, `/dev/tcp/…`) are refused.
 */
export function resolveRedirects(stageRedirects: RawRedirect[][]): Pick<ResolvedCommand, 'redirects' | 'streams'> | Refusal {
  const redirects: ResolvedCommand['redirects'] = [];
  const streams: NonNullable<ResolvedCommand['streams']> = [];
  const last = stageRedirects.length - 1;
  for (let stage = 0; stage <= last; stage++) {
    const fds: Target[] = [{ kind: 'stdin' }, { kind: 'stdout' }, { kind: 'stderr' }];
    for (const r of stageRedirects[stage]!) {
      const applied = apply(fds, r);
      if (applied) return applied;
    }
    const [fd0, fd1, fd2] = fds as [Target, Target, Target];
    if (fd0.kind === 'file') {
      if (stage !== 0) return refuse('redirect_not_allowed', 'only the first stage of a pipeline may read a file as stdin');
      redirects.push({ fd: 0, path: fd0.path, append: false });
    }
    for (const [fd, t] of [
      [1, fd1],
      [2, fd2],
    ] as const) {
      if (t.kind === 'null') streams.push({ stage, fd, to: 'null' });
      else if (t.kind === 'stdout' && fd === 2) streams.push({ stage, fd, to: 'stdout' });
      else if (t.kind === 'file') {
        if (stage !== last) return refuse('redirect_not_allowed', 'only the last stage of a pipeline may write a file');
        redirects.push({ fd, path: t.path, append: t.append });
      }
    }
  }
  return streams.length > 0 ? { redirects, streams } : { redirects };
}

function apply(fds: Target[], r: RawRedirect): Refusal | undefined {
  const { fd, op, target } = r;
  const text = `${fd}${op}${target ?? ''}`;
  if (op === '>&' || op === '<&') {
    if (fd === 2 && op === '>&' && target === '1') {
      fds[2] = fds[1]!;
      return undefined;
    }
    if (target === String(fd)) return undefined;
    return refuse('redirect_not_allowed', `descriptor duplication ${text}`);
  }
  if (target === undefined) return refuse('redirect_not_allowed', `redirection ${text}`);
  if (op === '<') {
    if (fd !== 0) return refuse('redirect_not_allowed', `descriptor ${fd} as input`);
    if (target === '/dev/null') return undefined;
    const bad = checkWorkspacePath(target, 'read');
    if (bad) return refuse('redirect_not_allowed', `input from ${target}: ${bad.detail}`);
    fds[0] = { kind: 'file', path: target, append: false };
    return undefined;
  }
  const out: Target | Refusal = outputTarget(target, op === '>>' || op === '&>>');
  if ('refused' in out) return out;
  if (op === '&>' || op === '&>>') {
    fds[1] = out;
    fds[2] = out;
    return undefined;
  }
  if (op !== '>' && op !== '>>' && op !== '>|') return refuse('redirect_not_allowed', `redirection operator ${op}`);
  if (fd !== 1 && fd !== 2) return refuse('redirect_not_allowed', `descriptor ${fd}`);
  fds[fd] = out;
  return undefined;
}

function outputTarget(path: string, append: boolean): Target | Refusal {
  if (path === '/dev/null') return { kind: 'null' };
  const bad = checkWorkspacePath(path, 'write');
  if (bad) return refuse('redirect_not_allowed', `output to ${path}: ${bad.detail}`);
  return { kind: 'file', path, append };
}
