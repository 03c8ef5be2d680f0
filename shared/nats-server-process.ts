import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Starts a nats-server from a config file (argument array, no shell) and waits until its client port
 * accepts connections. The embedded default for the hub and the leaf; production runs them as services.
 */
export type NatsServerProcess = {
  pid: number;
  port: number;
  stop(signal?: NodeJS.Signals): Promise<void>;
  child: ChildProcess;
  /**
   * The first log line (nats-server logs to stderr) at or after line number `from` that matches
   * `re`, with its number; undefined at the timeout.
   */
  waitForLog(re: RegExp, timeoutMs: number, from?: number): Promise<{ line: string; index: number } | undefined>;
};

export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

export async function startNatsServer(opts: {
  configPath: string;
  port: number;
  bin?: string;
  timeoutMs?: number;
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}): Promise<NatsServerProcess> {
  const child = spawn(opts.bin ?? NATS_SERVER_BIN, ['-c', opts.configPath], {
    stdio: ['ignore', 'ignore', process.env.NATS_DEBUG ? 'inherit' : 'pipe'],
  });
  let stderr = '';
  // The last 1000 lines; `dropped` counts the ones before them, so line numbers stay absolute.
  const lines: string[] = [];
  let dropped = 0;
  const watchers = new Set<(line: string, index: number) => void>();
  let partial = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
    const parts = (partial + b.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      if (lines.length > 1000) lines.shift(), (dropped += 1);
      for (const w of watchers) w(line, dropped + lines.length - 1);
    }
  });
  let exited = false;
  child.on('exit', (code, signal) => {
    exited = true;
    opts.onExit?.(code, signal);
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  while (!(await portOpen(opts.port))) {
    if (exited) throw new Error(`nats-server exited at start: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nats-server did not listen on ${opts.port} in time`);
    }
    await sleep(50);
  }
  return {
    pid: child.pid!,
    port: opts.port,
    child,
    waitForLog(re, timeoutMs, from = 0) {
      for (let i = Math.max(0, from - dropped); i < lines.length; i++) {
        if (re.test(lines[i])) return Promise.resolve({ line: lines[i], index: dropped + i });
      }
      return new Promise((resolve) => {
        const done = (found: { line: string; index: number } | undefined) => {
          watchers.delete(watch);
          clearTimeout(timer);
          resolve(found);
        };
        const watch = (line: string, index: number) => index >= from && re.test(line) && done({ line, index });
        const timer = setTimeout(() => done(undefined), timeoutMs);
        watchers.add(watch);
      });
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (exited) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill(signal);
      await Promise.race([done, sleep(5000).then(() => child.kill('SIGKILL'))]);
      await done;
    },
  };
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A free loopback port (the OS picks; the tiny race until nats-server binds is acceptable for tests and demo). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
