import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { OperatorError } from './errors.ts';

/**
 * Child processes that die with their parent. A service stops its children on every exit path it
 * controls (errors, SIGTERM, SIGINT), but a parent killed with SIGKILL or crashing in native code runs
 * no code at all. On Linux the kernel can signal a child when its parent dies (PR_SET_PDEATHSIG);
 * util-linux's `setpriv --pdeathsig` sets it and then execs the program, so the child keeps its pid
 * and its argv is unchanged after the exec. Where setpriv is not installed, children are started
 * directly (they then outlive a SIGKILLed parent; the embedded servers reclaim their state dir at
 * the next start).
 */
const SETPRIV_CANDIDATES = ['/usr/bin/setpriv', '/bin/setpriv'];
let setprivPath: string | null | undefined;

export function setpriv(): string | null {
  if (setprivPath === undefined) setprivPath = SETPRIV_CANDIDATES.find(isExecutable) ?? null;
  return setprivPath;
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Refuses at once, naming the program and how to install it, when `bin` is not an executable file:
 * spawn's own ENOENT arrives later, as a stack trace, and through setpriv as a bare exit code.
 */
export function requireProgram(bin: string, what: string, howToProvide: string): void {
  if (!isExecutable(bin)) throw new OperatorError('program_missing', `${what} not found at ${bin}: ${howToProvide}`);
}

/** `spawn`, with `deathSignal` delivered to the child if this process dies first (argument arrays only, never a shell). */
export function spawnTiedToParent(
  bin: string,
  args: readonly string[],
  opts: SpawnOptions & { deathSignal: NodeJS.Signals },
): ChildProcess {
  const { deathSignal, ...spawnOpts } = opts;
  const launcher = setpriv();
  if (!launcher) return spawn(bin, [...args], { ...spawnOpts, shell: false });
  return spawn(launcher, ['--pdeathsig', deathSignal.replace(/^SIG/, ''), '--', bin, ...args], { ...spawnOpts, shell: false });
}
