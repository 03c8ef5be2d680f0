import { execFile } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { AgentplaneError } from '../../../shared/errors.ts';

export type SandboxKind = 'bwrap' | 'none';

/** SANDBOX=bwrap on a machine where bubblewrap cannot start: the operator's to fix, not a crash. */
export class SandboxUnavailableError extends AgentplaneError {
  constructor(message: string) {
    super('sandbox_unavailable', message);
  }
}
export type SandboxMode = 'auto' | SandboxKind;

/** Inside the sandbox HOME is an empty tmpfs directory, whatever the runner's own HOME is. */
export const SANDBOX_HOME = '/home/agent';

/**
 * Always hidden (replaced by empty tmpfs, or /dev/null for files): home directories, /run (where
 * local services keep unix sockets, which a network namespace does not cut off), and host secrets
 * that root-owned processes could otherwise read. The caller adds its state directory.
 */
const HIDDEN_DIRS = ['/root', '/home', '/run', '/tmp', '/var/tmp', '/etc/ssh', '/var/lib/sss', '/var/run/secrets'];
const HIDDEN_FILES = ['/etc/shadow', '/etc/gshadow', '/etc/shadow-', '/etc/gshadow-'];

export function findProgram(name: string, path: readonly string[]): string | undefined {
  for (const dir of path) {
    const candidate = join(dir, name);
    try {
      const st = statSync(candidate);
      if (st.isFile() && (st.mode & 0o111) !== 0) return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * The bubblewrap arguments for one command: new user, pid, network, ipc, uts and cgroup namespaces
 * (so no network but a down loopback), all capabilities dropped, the whole filesystem read-only, the
 * hidden paths replaced by empty tmpfs, a private /tmp, and only the workspace bound writable. The
 * sandbox dies with the runner (--die-with-parent) and, being pid 1 of its namespace, takes every
 * process the command started with it.
 */
export function bwrapArgs(opts: { cwd: string; hide: readonly string[] }): string[] {
  const hidden = hiddenDirs(opts.hide);
  const args = [...isolationArgs(hidden), '--bind', opts.cwd, opts.cwd];
  // Hidden directories are empty and read-only; only /tmp and HOME (both private) and the workspace take writes.
  for (const d of hidden) if (d !== '/tmp' && d !== '/home') args.push('--remount-ro', d);
  args.push('--chdir', opts.cwd, '--');
  return args;
}

/** Whether a host path is out of sight inside the sandbox (under a directory it hides). */
export function hiddenInSandbox(path: string): boolean {
  const real = realOrSelf(path);
  return hiddenDirs([]).some((d) => real === d || real.startsWith(d + sep));
}

function hiddenDirs(extra: readonly string[]): string[] {
  const dirs = [...HIDDEN_DIRS, ...extra].map(realOrSelf).filter((d) => d !== '/' && isDir(d));
  return [...new Set(dirs)];
}

function isolationArgs(hidden: readonly string[]): string[] {
  const args = [
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
  ];
  for (const d of hidden) args.push('--tmpfs', d);
  // The Node that runs the runner (and npm scripts inside the sandbox) may live under a hidden
  // directory (a checkout in /tmp or /root): its bin directory alone is shown again, read-only.
  const nodeBin = realOrSelf(dirname(process.execPath));
  if (hidden.some((d) => nodeBin.startsWith(d + sep))) args.push('--ro-bind', nodeBin, nodeBin);
  args.push('--dir', SANDBOX_HOME);
  for (const f of HIDDEN_FILES) if (existsSync(f)) args.push('--ro-bind', '/dev/null', f);
  return args;
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Starts a trivial sandbox to see whether bubblewrap works here (installed, namespaces permitted). */
async function bwrapWorks(bwrap: string, truePath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const args = [...isolationArgs(hiddenDirs([])), '--chdir', '/', '--', truePath];
    execFile(bwrap, args, { timeout: 10_000, env: {} }, (err) => resolve(err === null));
  });
}

export async function detectSandbox(
  mode: SandboxMode,
  path: readonly string[],
): Promise<{ kind: SandboxKind; bwrap?: string; why?: string }> {
  if (mode === 'none') return { kind: 'none', why: 'SANDBOX=none' };
  const bwrap = findProgram('bwrap', path);
  const truePath = findProgram('true', path);
  const works = bwrap !== undefined && truePath !== undefined && (await bwrapWorks(bwrap, truePath));
  if (works) return { kind: 'bwrap', bwrap };
  const why = bwrap === undefined ? 'bubblewrap (bwrap) is not installed' : 'bubblewrap could not create its namespaces here';
  if (mode === 'bwrap') throw new SandboxUnavailableError(`SANDBOX=bwrap but ${why}`);
  return { kind: 'none', why };
}
