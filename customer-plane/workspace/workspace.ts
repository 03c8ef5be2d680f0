import { cp, mkdir, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { AgentplaneError } from '../../shared/errors.ts';
import { bindGit, type Git } from './git.ts';
import { checkPath, type PathCheck } from './paths.ts';

export class PathRejectedError extends AgentplaneError {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super('path_rejected', message);
    this.reason = reason;
  }
}

export type Workspace = {
  runId: string;
  /** The tree agents work in (a real path); the only place file tools and commands may touch. */
  root: string;
  /** Git tree id of the baseline copy: the same repository content gives the same id on every host. */
  baselineTree: string;
  /** The path check (see paths.ts). */
  check(rel: unknown): Promise<PathCheck>;
  /** Relative paths of regular files under `dir` (default the root), skipping VCS folders, installed dependencies and symlinks. */
  listFiles(opts?: { dir?: string; maxFiles?: number }): Promise<{ files: string[]; truncated: boolean }>;
  /** Records the tree as it is now in the runtime's private repository; returns its tree id. */
  snapshot(): Promise<string>;
  /** `git diff --binary` between two snapshots: what changed, replayable on another host. */
  diff(fromTree: string, toTree: string): Promise<string>;
  /** Applies a diff made by `diff` to the tree (resuming a run elsewhere). */
  applyDiff(diff: string): Promise<void>;
  /** Puts the tree back to a snapshot (a failed step leaves nothing behind). */
  restore(tree: string): Promise<void>;
  /** git bound to the runtime's private repository of this run (outside the tree, so no tool can touch it). */
  privateGit: Git;
  /** Where that repository is, for streaming git children (search). */
  privateGitDir: string;
  destroy(): Promise<void>;
};

/** Never copied: the customer's version control (the run gets a history of its own), and Python environments, which hold absolute paths and do not move. */
const NOT_COPIED = new Set(['.git', '.hg', '.svn', '.venv', 'venv', '.tox']);
/**
 * Installed dependencies and caches. node_modules is copied — the sandbox has no network, so a
 * repository's tests and linters run only with what the checkout has installed — but none of these is
 * workspace content: list_files and search skip them, and they are left out of the snapshots and of
 * the visible repository (`info/exclude`), so a test run's `__pycache__` is not a change the run made.
 */
const INSTALLED_DIRS = ['node_modules', '__pycache__', '.venv', 'venv', '.tox'];
const NOT_LISTED = new Set([...NOT_COPIED, ...INSTALLED_DIRS]);
const EXCLUDES = `${INSTALLED_DIRS.map((d) => `${d}/`).join('\n')}\n`;

/**
 * A fresh copy of a repository for one workflow run, in `<parentDir>/<runId>/tree`:
 * - the copy has no customer history: VCS folders are not copied and symlinks are copied as links
 *   (a link to /etc does not become a file in the workspace; the path check refuses following it);
 * - `tree/.git` is a new repository whose one commit is the baseline copy, so `git diff` in the
 *   workspace shows what the run changed;
 * - `<runId>/vcs.git`, outside the tree, is the runtime's own repository of snapshots and diffs, which
 *   the ledger records; nothing an agent runs can change its config.
 * Removed when the run ends, whatever the outcome.
 */
export async function createWorkspace(opts: { sourceDir: string; parentDir: string; runId: string }): Promise<Workspace> {
  const runDir = join(opts.parentDir, opts.runId);
  // A leftover of an earlier attempt of this run on this host is stale: the ledger rebuilds the state.
  await rm(runDir, { recursive: true, force: true });
  // A copy that fails part-way (an unreadable file, a full disk) would leave part of the repository on
  // disk with no Workspace to destroy it: the run's directory goes with the error.
  const { root, privateGit, baselineTree } = await copyRepository(opts.sourceDir, runDir).catch(async (err: unknown) => {
    await rm(runDir, { recursive: true, force: true }).catch(() => {});
    throw err;
  });

  async function snapshot(): Promise<string> {
    await privateGit(['add', '--all']);
    return (await privateGit(['write-tree'])).stdout.trim();
  }

  return {
    runId: opts.runId,
    root,
    baselineTree,
    privateGit,
    privateGitDir: join(runDir, 'vcs.git'),
    check: (rel) => checkPath(root, rel),
    async listFiles({ dir, maxFiles = 5000 } = {}) {
      let start = root;
      if (dir !== undefined) {
        const checked = await checkPath(root, dir);
        if (!checked.ok) throw new PathRejectedError(checked.reason, checked.message);
        start = checked.abs;
      }
      const files: string[] = [];
      let truncated = false;
      const walk = async (d: string): Promise<void> => {
        const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
        entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        for (const entry of entries) {
          if (files.length >= maxFiles) {
            truncated = true;
            return;
          }
          const full = join(d, entry.name);
          if (entry.isDirectory() && !NOT_LISTED.has(entry.name)) await walk(full);
          else if (entry.isFile()) files.push(relative(root, full));
        }
      };
      await walk(start);
      return { files: files.sort(), truncated };
    },
    snapshot,
    async diff(fromTree, toTree) {
      if (fromTree === toTree) return '';
      return (await privateGit(['diff', '--binary', '--no-ext-diff', '--no-textconv', '--no-color', '--full-index', fromTree, toTree]))
        .stdout;
    },
    async applyDiff(diff) {
      if (diff.trim() === '') return;
      await privateGit(['apply', '--binary', '--whitespace=nowarn', '-'], { input: diff });
    },
    async restore(tree) {
      await privateGit(['read-tree', '--reset', '-u', tree]);
      await privateGit(['clean', '-f', '-d', '-q']);
    },
    async destroy() {
      await rm(runDir, { recursive: true, force: true });
    },
  };
}

async function writeExcludes(gitDir: string): Promise<void> {
  await mkdir(join(gitDir, 'info'), { recursive: true });
  await writeFile(join(gitDir, 'info', 'exclude'), EXCLUDES);
}

/** The copy of the repository in `<runDir>/tree`, its private repository and the visible one with the baseline commit. */
async function copyRepository(sourceDir: string, runDir: string): Promise<{ root: string; privateGit: Git; baselineTree: string }> {
  await mkdir(join(runDir, 'tree'), { recursive: true, mode: 0o700 });
  await cp(sourceDir, join(runDir, 'tree'), {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => !NOT_COPIED.has(src.split(sep).pop() ?? ''),
  });
  const root = await realpath(join(runDir, 'tree'));
  const privateGit = bindGit({ gitDir: join(runDir, 'vcs.git'), workTree: root });
  await privateGit(['init', '--quiet']);
  await writeExcludes(join(runDir, 'vcs.git'));
  await privateGit(['add', '--all']);
  const baselineTree = (await privateGit(['write-tree'])).stdout.trim();

  const visible = bindGit({ gitDir: join(root, '.git'), workTree: root });
  await visible(['init', '--quiet']);
  await writeExcludes(join(root, '.git'));
  await visible(['add', '--all']);
  await visible(['commit', '--quiet', '--no-verify', '--no-gpg-sign', '--allow-empty', '-m', 'baseline (agentplane workspace copy)']);
  return { root, privateGit, baselineTree };
}
