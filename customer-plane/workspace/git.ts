import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { AgentplaneError } from '../../shared/errors.ts';

/**
 * git as the runtime itself runs it (never as an agent runs it): an argument array, no shell, and an
 * environment that reads no system or user configuration, so nothing outside the runtime's own
 * repository config can add hooks, filters, pagers or helpers to what runs.
 */
export const GIT_BIN = process.env.AGENTPLANE_GIT_BIN ?? 'git';

const BASE_ENV: Record<string, string> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: '/nonexistent',
  LC_ALL: 'C',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_OPTIONAL_LOCKS: '0',
  GIT_AUTHOR_NAME: 'agentplane',
  GIT_AUTHOR_EMAIL: 'runtime@agentplane.invalid',
  GIT_COMMITTER_NAME: 'agentplane',
  GIT_COMMITTER_EMAIL: 'runtime@agentplane.invalid',
};

// Command-line settings win over any repository config.
const HARDENING = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'core.quotePath=false',
  '-c',
  'advice.detachedHead=false',
];

export type GitResult = { stdout: string; stderr: string; code: number };

export class GitError extends AgentplaneError {
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(args: readonly string[], exitCode: number | null, stderr: string, cause?: unknown) {
    super('workspace_error', `git ${args[0] ?? ''} failed (exit ${exitCode})`, { cause });
    this.exitCode = exitCode;
    this.stderr = stderr.slice(0, 2000);
  }
}

export type Git = (
  args: readonly string[],
  opts?: { input?: string; okCodes?: readonly number[]; timeoutMs?: number; maxBuffer?: number; signal?: AbortSignal },
) => Promise<GitResult>;

/** A git bound to one repository (`gitDir`) and work tree. */
export function bindGit(opts: { gitDir: string; workTree: string }): Git {
  const env = gitEnv(opts);
  return (args, o = {}) =>
    new Promise((resolve, reject) => {
      const child = execFile(
        GIT_BIN,
        [...HARDENING, ...args],
        {
          cwd: opts.workTree,
          env,
          encoding: 'utf8',
          maxBuffer: o.maxBuffer ?? 512 * 1024 * 1024,
          timeout: o.timeoutMs ?? 120_000,
          killSignal: 'SIGKILL',
          signal: o.signal,
        },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code as number) : null) : 0;
          if (code !== null && (code === 0 || o.okCodes?.includes(code))) resolve({ stdout, stderr, code });
          else reject(new GitError(args, code, stderr ?? '', err));
        },
      );
      if (o.input !== undefined) child.stdin?.end(o.input);
      else child.stdin?.end();
    });
}

function gitEnv(opts: { gitDir: string; workTree: string }): Record<string, string> {
  return { ...BASE_ENV, GIT_DIR: opts.gitDir, GIT_WORK_TREE: opts.workTree };
}

/** The same git as a streaming child (for output read line by line and cut short); the caller must kill it. */
export function spawnGit(opts: { gitDir: string; workTree: string }, args: readonly string[]): ChildProcess {
  return spawn(GIT_BIN, [...HARDENING, ...args], { cwd: opts.workTree, env: gitEnv(opts), stdio: ['ignore', 'pipe', 'pipe'] });
}
