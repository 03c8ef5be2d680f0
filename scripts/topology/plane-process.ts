import type { ChildProcess } from 'node:child_process';
import { spawnTiedToParent } from '../../shared/child-process.ts';
import { createInterface } from 'node:readline';

/**
 * A plane started as its own Node process, exactly as an operator would run it. stdout/stderr are
 * captured whole (tests grep them for canaries) and the first JSON line with the wanted `event`
 * is returned as the start signal.
 */
export type PlaneProcess = {
  child: ChildProcess;
  output(): string;
  ready: Record<string, unknown>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

/**
 * How the customer plane is started (also `npm run customer-plane` and the runner image's contract):
 * V8 runs WebAssembly on its baseline compiler only. The command guard's tree-sitter-bash grammar has a
 * lexer function so large that V8's optimizing tier-up of it, once it is hot, costs ~10 s of CPU and a
 * ~500 MB spike of memory (a task sized at the stack's 512 MiB minimum would be killed); without it the
 * guard's p99 stays far under its 1 ms target (bench:guard: 195 µs with tier-up, 303 µs without, same run).
 */
export const CUSTOMER_PLANE_NODE_ARGS = ['--liftoff-only'];

export async function startPlaneProcess(opts: {
  script: string;
  env: Record<string, string>;
  readyEvent: string;
  /** Node flags before the script (the customer plane's --liftoff-only, see CUSTOMER_PLANE_NODE_ARGS). */
  nodeArgs?: string[];
  timeoutMs?: number;
  echo?: (line: string) => void;
}): Promise<PlaneProcess> {
  // Tied to the caller: a demo or test killed outright still takes its planes (and they their servers) with it.
  const child = spawnTiedToParent(process.execPath, [...(opts.nodeArgs ?? []), opts.script], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    deathSignal: 'SIGTERM',
  });
  let captured = '';
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve((exitCode = code))));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${opts.script} not ready in time:\n${captured.slice(-3000)}`)),
      opts.timeoutMs ?? 30_000,
    );
    const onLine = (line: string) => {
      captured += `${line}\n`;
      opts.echo?.(line);
      if (line.startsWith('{')) {
        try {
          const obj = JSON.parse(line);
          if (obj.event === opts.readyEvent) {
            clearTimeout(timer);
            resolve(obj);
          }
        } catch {
          // a log line that is not ours
        }
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${opts.script} exited with ${code} before ready:\n${captured.slice(-3000)}`));
    });
  });
  return {
    child,
    ready,
    output: () => captured,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (exitCode !== undefined) return exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
