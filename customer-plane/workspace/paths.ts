import { lstat, readlink } from 'node:fs/promises';
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
  return walk(root, parts, rel);
}

/** More links than this on one path is a loop, or a maze no file tool needs (Linux's own limit is 40). */
const MAX_LINKS = 40;

/**
 * Follows `parts` from `root` one component at a time, so a symlink anywhere on the way is caught. A link,
 * existing target or dangling, is replaced by its own target's components and the walk starts again from
 * the root: a link to a link (`d` -> `l2/new`, `l2` -> outside) is followed to where a write would land,
 * not judged by the first link's text. The result names no symlink up to its first missing component.
 */
async function walk(root: string, parts: string[], rel: string): Promise<PathCheck> {
  let current = root;
  let links = 0;
  for (let i = 0; i < parts.length; i++) {
    const next = resolve(current, parts[i]);
    let info;
    try {
      info = await lstat(next);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return done(root, resolve(next, ...parts.slice(i + 1)), rel);
      // ENOTDIR, EACCES: nothing a file tool could use.
      return { ok: false, reason: 'path_invalid', message: `the path cannot be resolved (${(err as NodeJS.ErrnoException).code})` };
    }
    if (!info.isSymbolicLink()) {
      current = next;
      continue;
    }
    links += 1;
    if (links > MAX_LINKS) return { ok: false, reason: 'path_invalid', message: `the path follows more than ${MAX_LINKS} symlinks` };
    const target = resolve(dirname(next), await readlink(next));
    if (!isInside(root, target))
      return { ok: false, reason: 'path_symlink_escape', message: 'a symlink on the path points outside the workspace' };
    const targetParts = target === root ? [] : target.slice(root.length + 1).split(sep);
    if (targetParts.some((p) => p.toLowerCase() === '.git')) {
      return { ok: false, reason: 'path_symlink_escape', message: 'a symlink on the path points into .git' };
    }
    parts = [...targetParts, ...parts.slice(i + 1)];
    current = root;
    i = -1;
  }
  return done(root, current, rel);
}

function done(root: string, abs: string, rel: string): PathCheck {
  if (!isInside(root, abs)) return { ok: false, reason: 'path_outside_workspace', message: 'the path leaves the workspace' };
  return { ok: true, rel, abs };
}
