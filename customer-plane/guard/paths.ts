import { type Refusal, refuse } from './refusal.ts';

/**
 * A path an allowed command may name: relative to the workspace, never absolute, never through `..`,
 * never into a `.git/` when written (hooks and config there would run later with the runner's trust).
 * The guard has no filesystem: symlinks are handled where files are opened (the runner) and by the
 * sandbox, in which everything outside the workspace is read-only or hidden.
 */
export function checkWorkspacePath(path: string, mode: 'read' | 'write'): Refusal | undefined {
  if (path.length === 0) return refuse('path_invalid', 'empty path');
  if (path.includes('\0')) return refuse('path_invalid', 'NUL byte in path');
  if (path === '-' && mode === 'read') return undefined;
  if (path.startsWith('/')) return refuse('path_outside_workspace', `absolute path ${path}`);
  const segments = path.split('/');
  if (segments.includes('..')) return refuse('path_outside_workspace', `path ${path} climbs out with ..`);
  if (mode === 'write') {
    const first = segments.find((s) => s !== '' && s !== '.');
    if (first === undefined) return refuse('path_invalid', `path ${path} is the workspace itself`);
    // Any `.git` on the way, in any case, as the gate's own path check has it (a nested or a
    // case-folded `.git` is a repository too on the filesystems that fold case).
    if (segments.some((s) => s.toLowerCase() === '.git')) return refuse('path_invalid', `path ${path} writes into .git`);
  }
  return undefined;
}
