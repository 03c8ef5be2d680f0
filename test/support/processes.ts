import { readdirSync, readFileSync } from 'node:fs';

/** Pid and argument list of every running process (Linux /proc); a zombie has an empty cmdline: it is no longer running. */
function* runningProcesses(): Generator<{ pid: number; argv: string[] }> {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited meanwhile
    }
    yield { pid: Number(entry), argv };
  }
}

/**
 * Pids of the running processes that have `arg` as one of their arguments, e.g. the config path a
 * nats-server was started with: how a test proves a child did not outlive its parent.
 */
export function pidsWithArgument(arg: string): number[] {
  return [...runningProcesses()].filter(({ argv }) => argv.includes(arg)).map(({ pid }) => pid);
}

/** Pids of running processes with an argument that is `dir` or lies under it: what a run under `dir` left running. */
export function pidsWithArgumentUnder(dir: string): number[] {
  return [...runningProcesses()]
    .filter(({ argv }) => argv.some((a) => a === dir || a.startsWith(`${dir}/`) || a.includes(`=${dir}/`)))
    .map(({ pid }) => pid);
}
