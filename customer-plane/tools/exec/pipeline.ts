import { type ChildProcess, spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { CommandOutcome } from '../../guard/types.ts';

/** Where one stage's streams go. Numbers are file descriptors the runner opened (redirect files). */
export type StageIO = {
  stdin: 'null' | number;
  /** `next` = the following stage's stdin; `capture` = returned to the caller. */
  stdout: 'next' | 'capture' | 'null' | number;
  /** `stdout` = the same place as this stage's stdout (2>&1). */
  stderr: 'capture' | 'null' | 'stdout' | number;
};
export type Stage = { file: string; args: string[]; argv0: string; io: StageIO };

export type PipelineOptions = {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  maxOutputBytes: number;
  signal?: AbortSignal;
  /** Called with each started process; returns the function that forgets it. */
  track(child: ChildProcess): () => void;
};

/** Kills a stage's whole process group (every stage leads one: spawned detached). */
export function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Starts the stages with pipes between them — last stage first, so each earlier stage can be handed
 * the next one's stdin — and collects the captured output up to the cap (reading on past it, so no
 * process blocks on a full pipe). Resolves when every stage has exited and its streams have closed.
 */
export function runPipeline(stages: Stage[], opts: PipelineOptions): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    const children: ChildProcess[] = [];
    const untrack: Array<() => void> = [];
    const out: Buffer[] = [];
    const errs: Buffer[] = [];
    let notes = '';
    let captured = 0;
    let truncated = false;
    let timedOut = false;
    let lastExit: { code: number | null; signal: string | null } = { code: null, signal: null };
    let pending = stages.length;

    const collect = (into: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const room = opts.maxOutputBytes - captured;
      if (room <= 0) {
        truncated = true;
        return;
      }
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      if (part !== chunk) truncated = true;
      captured += part.length;
      (into === 'stdout' ? out : errs).push(part);
    };
    const killAll = () => {
      for (const c of children) if (c) killGroup(c);
    };
    const onAbort = () => killAll();
    const timer = setTimeout(() => {
      timedOut = true;
      killAll();
    }, opts.timeoutMs);
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = () => {
      if (--pending > 0) return;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      for (const u of untrack) u();
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(errs).toString('utf8') + notes;
      resolve({ exitCode: lastExit.code, signal: lastExit.signal, stdout, stderr, truncated, timedOut });
    };

    let nextStdin: Writable | null = null;
    for (let i = stages.length - 1; i >= 0; i--) {
      const { file, args, argv0, io } = stages[i]!;
      const isLast = i === stages.length - 1;
      const stdin = i === 0 ? (io.stdin === 'null' ? 'ignore' : io.stdin) : 'pipe';
      let toOut: 'pipe' | 'ignore' | number | Writable;
      if (io.stdout === 'next') toOut = nextStdin ?? 'ignore';
      else if (io.stdout === 'capture') toOut = 'pipe';
      else if (io.stdout === 'null') toOut = 'ignore';
      else toOut = io.stdout;
      let err: 'pipe' | 'ignore' | number | Writable;
      if (io.stderr === 'stdout') err = toOut === 'pipe' ? 'pipe' : toOut;
      else if (io.stderr === 'capture') err = 'pipe';
      else if (io.stderr === 'null') err = 'ignore';
      else err = io.stderr;
      const child: ChildProcess = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: [stdin, toOut, err], detached: true, argv0 });
      children[i] = child;
      untrack.push(opts.track(child));
      // The runner's copy of the pipe's write end: closed so the next stage sees EOF when this one exits.
      nextStdin?.destroy();
      nextStdin = child.stdin;
      child.stdout?.on('data', collect('stdout'));
      child.stderr?.on('data', collect(io.stderr === 'stdout' ? 'stdout' : 'stderr'));
      let done = false;
      const settle = (code: number | null, signal: string | null) => {
        if (done) return;
        done = true;
        if (isLast) lastExit = { code, signal };
        finish();
      };
      child.on('error', (e: NodeJS.ErrnoException) => {
        notes += `${argv0}: ${e.code ?? 'spawn failed'}\n`;
        if (child.pid === undefined) settle(e.code === 'ENOENT' ? 127 : 126, null);
      });
      child.on('close', (code, signal) => settle(code, signal));
    }
    if (opts.signal?.aborted) killAll();
  });
}
