import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireProgram, spawnTiedToParent } from './child-process.ts';

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

/** Where nats-server is; Debian's package puts it in /usr/sbin. */
export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';
export const NATS_SERVER_HOW_TO =
  'install it (Debian/Ubuntu: apt-get install nats-server; or a release from the NATS project) or set NATS_SERVER_BIN to its path';

/** The line nats-server logs once every listener it was configured with is bound. */
const SERVER_READY = /\[INF\] Server is ready$/;

export async function startNatsServer(opts: {
  configPath: string;
  port: number;
  bin?: string;
  timeoutMs?: number;
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}): Promise<NatsServerProcess> {
  const bin = opts.bin ?? NATS_SERVER_BIN;
  requireProgram(bin, 'nats-server', NATS_SERVER_HOW_TO);
  // Tied to this process: a service killed with SIGKILL does not leave its hub or leaf running.
  const child = spawnTiedToParent(bin, ['-c', opts.configPath], {
    stdio: ['ignore', 'ignore', process.env.NATS_DEBUG ? 'inherit' : 'pipe'],
    deathSignal: 'SIGTERM',
  });
  let stderr = '';
  // The last 1000 lines; `dropped` counts the ones before them, so line numbers stay absolute.
  const lines: string[] = [];
  let dropped = 0;
  const watchers = new Set<(line: string, index: number) => void>();
  let partial = '';
  // Ready once the server says so: its client port alone can be open because another process
  // listens there, while ours is failing to bind it. Without its log (NATS_DEBUG) the port must do.
  let ready = child.stderr === null;
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
    const parts = (partial + b.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      if (!ready && SERVER_READY.test(line)) ready = true;
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
  while (!(ready && (await portOpen(opts.port)))) {
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
      // Killed outright if it has not exited in 5 s; the timer is cleared once it has, so a server
      // that stopped at once does not hold the caller's process open for the rest of the 5 s.
      const fallback = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(fallback);
    },
  };
}

/**
 * A server of ours still running from an earlier start (its parent was SIGKILLed where it could not
 * be tied to it): found through its pid file, and only if that process was started with `configPath`,
 * then stopped, so the new one can take the same ports and store.
 */
export async function stopLeftoverServer(pidFile: string, configPath: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !startedWith(pid, configPath)) return false;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && startedWith(pid, configPath); i++) await sleep(50);
  if (startedWith(pid, configPath)) process.kill(pid, 'SIGKILL');
  return true;
}

function startedWith(pid: number, arg: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(arg);
  } catch {
    return false;
  }
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

/**
 * A free loopback port (the OS picks). Free when asked, not promised to stay so until a server binds
 * it: start servers on picked ports through `startOnPickedPorts`.
 */
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

/**
 * How many times a server is tried on ports picked just before its start. A port freePort() found
 * free can be taken before nats-server binds it — most often as the local port of some other
 * process's outgoing connection, which the OS picks from the same range — and the start then fails
 * on a port nobody chose to share.
 */
export const PICKED_PORT_ATTEMPTS = 3;

/**
 * Runs `start` (which picks its ports afresh on every attempt it is given) until it succeeds, or
 * until `attempts` have failed or `repickable()` says the last attempt picked no port of its own (a
 * configured or kept port that is taken stays taken: trying again would only repeat the error).
 * The last attempt's error is thrown. Matching on the error's text is avoided on purpose: any failed
 * start on picked ports is worth one more with other ports, and a bounded number costs little.
 */
export async function startOnPickedPorts<T>(
  start: (attempt: number) => Promise<T>,
  opts: { attempts?: number; repickable?: () => boolean; onRetry?: (err: unknown, attempt: number) => void } = {},
): Promise<T> {
  const attempts = opts.attempts ?? PICKED_PORT_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(attempt);
    } catch (err) {
      if (attempt >= attempts || opts.repickable?.() === false) throw err;
      opts.onRetry?.(err, attempt);
    }
  }
}
