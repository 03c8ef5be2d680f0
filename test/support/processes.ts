import { readdirSync, readFileSync } from 'node:fs';

/**
 * Pids of the running processes that have `arg` as one of their arguments (Linux /proc), e.g. the
 * config path a nats-server was started with: how a test proves a child did not outlive its parent.
 */
export function pidsWithArgument(arg: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited meanwhile
    }
    // A zombie has an empty cmdline: it is no longer running.
    if (argv.includes(arg)) pids.push(Number(entry));
  }
  return pids;
}

/** Pids of running processes with an argument that is `dir` or lies under it: what a run under `dir` left running. */
export function pidsWithArgumentUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (argv.some((a) => a === dir || a.startsWith(`${dir}/`) || a.includes(`=${dir}/`))) pids.push(Number(entry));
  }
  return pids;
}
