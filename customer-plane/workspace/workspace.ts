import { cp, mkdtemp, readFile, readdir, realpath, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AgentplaneError } from '../../shared/errors.ts';

export class PathRejectedError extends AgentplaneError {
  constructor(message: string) {
    super('path_rejected', message);
  }
}

export type Workspace = {
  root: string;
  /** Relative paths of regular files, skipping VCS folders and symlinks. */
  listFiles(opts?: { maxFiles?: number }): Promise<string[]>;
  readFile(rel: string, opts?: { maxBytes?: number }): Promise<string>;
  destroy(): Promise<void>;
};

const SKIP_DIRS = new Set(['.git', 'node_modules', '.hg', '.svn']);

/**
 * An ephemeral copy of a repository for one workflow run. Agents reach files only through it, and
 * every path is resolved and checked to stay inside the copy (no `..`, no absolute paths, no
 * symlinks out). The copy is removed when the run ends, whatever the outcome.
 */
export async function createWorkspace(opts: { sourceDir: string; parentDir: string }): Promise<Workspace> {
  const root = await mkdtemp(join(opts.parentDir, 'ws-'));
  // Symlinks are not followed into the copy: a link to /etc must not become a file in the workspace.
  await cp(opts.sourceDir, root, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => !SKIP_DIRS.has(src.split(sep).pop() ?? ''),
  });
  const realRoot = await realpath(root);

  async function resolveInside(rel: string): Promise<string> {
    if (typeof rel !== 'string' || rel.length === 0 || rel.includes('\0')) throw new PathRejectedError('empty or invalid path');
    if (isAbsolute(rel)) throw new PathRejectedError('absolute paths are not allowed');
    const candidate = resolve(realRoot, rel);
    const inside = (p: string) => p === realRoot || p.startsWith(realRoot + sep);
    if (!inside(candidate)) throw new PathRejectedError('path leaves the workspace');
    const real = await realpath(candidate);
    if (!inside(real)) throw new PathRejectedError('path resolves outside the workspace');
    return real;
  }

  return {
    root: realRoot,
    async listFiles({ maxFiles = 5000 } = {}) {
      const out: string[] = [];
      const walk = async (dir: string): Promise<void> => {
        for (const entry of await readdir(dir, { withFileTypes: true })) {
          if (out.length >= maxFiles) return;
          const full = join(dir, entry.name);
          if (entry.isDirectory() && !SKIP_DIRS.has(entry.name)) await walk(full);
          else if (entry.isFile()) out.push(relative(realRoot, full));
        }
      };
      await walk(realRoot);
      return out.sort();
    },
    async readFile(rel, { maxBytes = 256 * 1024 } = {}) {
      const path = await resolveInside(rel);
      const st = await stat(path);
      if (!st.isFile()) throw new PathRejectedError('not a regular file');
      if (st.size > maxBytes) throw new PathRejectedError(`file larger than ${maxBytes} bytes`);
      return readFile(path, 'utf8');
    },
    async destroy() {
      await rm(realRoot, { recursive: true, force: true });
    },
  };
}
