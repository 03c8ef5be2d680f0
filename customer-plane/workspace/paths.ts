import { lstat, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';

/**
 * The path check every file tool goes through (via the gate): a workspace-relative path must name a
 * place inside the workspace, and stay inside after every symlink on the way is followed. `.git` is the
 * run's own version control and not part of the workspace content an agent may touch.
 */
export type PathRefusal = 'path_invalid' | 'path_outside_workspace' | 'path_symlink_escape';
export type PathCheck = { ok: true; rel: string; abs: string } | { ok: false; reason: PathRefusal; message: string };

const MAX_PATH = 1024;
// C0 controls and DEL: no real file name needs them, and they are how terminal and log injection is done.
const hasControl = (s: string) => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
};

/** True when `p` is `root` or below it (a sibling `root-other` is not below `root`). */
export function isInside(root: string, p: string): boolean {
  return p === root || p.startsWith(root + sep);
}

/**
 * Resolves `rel` inside `root` (a real path). Existing components are followed through symlinks; the
 * part that does not exist yet (a file about to be written) is appended as written.
 */
export async function checkPath(root: string, rel: unknown): Promise<PathCheck> {
  if (typeof rel !== 'string' || rel.length === 0 || rel.length > MAX_PATH) {
    return { ok: false, reason: 'path_invalid', message: 'a path is a non-empty string of at most 1024 characters' };
  }
  if (hasControl(rel)) return { ok: false, reason: 'path_invalid', message: 'the path contains a NUL byte or a control character' };
  if (isAbsolute(rel))
    return { ok: false, reason: 'path_invalid', message: 'absolute paths are not allowed; give a workspace-relative path' };
  const lexical = resolve(root, rel);
  if (!isInside(root, lexical)) return { ok: false, reason: 'path_outside_workspace', message: 'the path leaves the workspace' };
  const parts = lexical === root ? [] : lexical.slice(root.length + 1).split(sep);
  if (parts.some((p) => p.toLowerCase() === '.git')) {
    return { ok: false, reason: 'path_outside_workspace', message: '.git is the run’s version control, not workspace content' };
  }
  // Follow the path one component at a time, so a symlink anywhere on the way is caught.
  let current = root;
  for (let i = 0; i < parts.length; i++) {
    const next = resolve(current, parts[i]);
    let info;
    try {
      info = await lstat(next);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return done(root, resolve(next, ...parts.slice(i + 1)), rel);
      // ENOTDIR, ELOOP, EACCES: nothing a file tool could use.
      return { ok: false, reason: 'path_invalid', message: `the path cannot be resolved (${(err as NodeJS.ErrnoException).code})` };
    }
    if (!info.isSymbolicLink()) {
      current = next;
      continue;
    }
    let target: string;
    try {
      target = await realpath(next);
    } catch {
      // A dangling link: judge it by where it points, as writing through it would create that file.
      target = resolve(dirname(next), await readlink(next));
    }
    if (!isInside(root, target))
      return { ok: false, reason: 'path_symlink_escape', message: 'a symlink on the path points outside the workspace' };
    const targetParts = target === root ? [] : target.slice(root.length + 1).split(sep);
    if (targetParts.some((p) => p.toLowerCase() === '.git')) {
      return { ok: false, reason: 'path_symlink_escape', message: 'a symlink on the path points into .git' };
    }
    current = target;
  }
  return done(root, current, rel);
}

function done(root: string, abs: string, rel: string): PathCheck {
  if (!isInside(root, abs)) return { ok: false, reason: 'path_outside_workspace', message: 'the path leaves the workspace' };
  return { ok: true, rel, abs };
}
