/**
 * Load generation for the LLM proxy benches: closed-loop workers over node:http keep-alive, the
 * interleaved rounds that give every path the same background load (see llm-proxy.ts's header),
 * and the driver's side of the role processes both benches start.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { type Agent, request } from 'node:http';

/** A message between the bench driver and its child processes. */
export type Msg = { type: string; [k: string]: unknown };

/**
 * Starts a role of `script` (llm-proxy.ts, of this checkout or another) and waits for its 'ready'
 * message. `execPath`/`execArgv` as for fork: node flags, or a wrapper such as valgrind.
 */
export function forkRole(
  script: string,
  args: string[],
  opts: { env?: Record<string, string>; execPath?: string; execArgv?: string[] } = {},
): Promise<{ proc: ChildProcess; ready: Msg }> {
  const proc = fork(script, args, {
    env: { ...process.env, ...opts.env },
    execPath: opts.execPath,
    execArgv: opts.execArgv ?? [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    proc.once('message', (ready: Msg) => resolve({ proc, ready }));
    proc.once('exit', (code) => reject(new Error(`bench child ${args.join(' ')} exited with ${code}`)));
  });
}

/**
 * The environment of a proxy role: where the fake providers listen, the token keys, the transport,
 * and the gateway's timeout when not the role's 5 s.
 */
export function proxyRoleEnv(upstream: Msg, jwks: unknown, transport: string, timeoutMs?: number): Record<string, string> {
  return { BENCH_PROXY: JSON.stringify({ openai: upstream.openai, anthropic: upstream.anthropic, jwks, transport, timeoutMs }) };
}

/**
 * Sends `type` and resolves with the child's answer of the same type. Answers of another type are
 * skipped: llm-proxy-cost.ts wakes a process under valgrind with 'cpu' messages, whose answers can
 * still be on their way when the next question goes out.
 */
export function ask(proc: ChildProcess, type: string, fields: Record<string, unknown> = {}): Promise<Msg> {
  return new Promise((resolve) => {
    const onMessage = (m: Msg) => {
      if (m.type !== type) return;
      proc.off('message', onMessage);
      resolve(m);
    };
    proc.on('message', onMessage);
    proc.send({ ...fields, type });
  });
}

export async function cpuMicros(proc: ChildProcess): Promise<number> {
  const c = (await ask(proc, 'cpu')) as Msg & NodeJS.CpuUsage;
  return c.user + c.system;
}

/** node:http with a keep-alive pool: the lightest client available, so it does not hide proxy cost. */
export function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  agent: Agent,
): Promise<{ status: number; text: string; fresh: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, fresh: !req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * One load() call. `busy`: worker-seconds spent sending (first request to last response).
 * `offsets`: when each worker finished, after the first to finish. `fresh`: requests that had to
 * open a connection. `firstError`: what the first failed request got, to say why requests failed.
 */
export type Run = { latencies: number[]; errors: number; busy: number; offsets: number[]; fresh: number; firstError?: string };

/**
 * N closed-loop workers posting to one path until `seconds` have passed, then waiting for their
 * last responses. Worker i first waits `offsets[i]` ms, so a slice resumes the arrival pattern
 * its path's previous slice ended with instead of firing all N at once: a fixed upstream latency
 * keeps such a burst together for many periods, and restarting it every half second made the
 * floor and proxies look ~2-4 ms slower than a long phase did. That wait is not in `busy`.
 */
export async function load(opts: {
  url: string;
  token?: string;
  stream: boolean;
  concurrency: number;
  seconds: number;
  dispatcher: Agent;
  offsets?: number[];
  /** Stop after this many requests in all (or when `seconds` are up, whichever comes first). */
  requests?: number;
}): Promise<Run> {
  const body = JSON.stringify({
    model: opts.token ? 'core' : 'gpt-4.1-mini',
    messages: [
      { role: 'system', content: 'You review code changes for correctness.' },
      { role: 'user', content: 'Please review: function add(a, b) { return a + b; }' },
    ],
    ...(opts.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${opts.token ?? 'bench'}` };
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let fresh = 0;
  let busy = 0;
  const start = performance.now();
  const end = start + opts.seconds * 1000;
  const lastDone: number[] = [];
  let left = opts.requests ?? Infinity;
  async function worker(i: number) {
    const offset = opts.offsets?.[i] ?? 0;
    lastDone[i] = start + offset; // where its loop stands if the slice ends before it gets to send
    if (offset) await new Promise((resolve) => setTimeout(resolve, offset));
    const from = performance.now();
    while (performance.now() < end && left-- > 0) {
      const t0 = performance.now();
      try {
        const r = await post(`${opts.url}/chat/completions`, headers, body, opts.dispatcher);
        if (r.fresh) fresh++;
        if (r.status !== 200 || (opts.stream && !r.text.endsWith('data: [DONE]\n\n'))) {
          errors++;
          firstError ??= `status ${r.status}: ${r.text.slice(-200)}`;
        } else latencies.push(performance.now() - t0);
      } catch (err) {
        errors++;
        firstError ??= `${(err as { code?: string }).code ?? ''} ${(err as Error).message}`.trim();
      }
      lastDone[i] = performance.now();
    }
    busy += Math.max(0, lastDone[i] - from);
  }
  await Promise.all(Array.from({ length: opts.concurrency }, (_, i) => worker(i)));
  const first = Math.min(...lastDone);
  return {
    latencies: latencies.sort((a, b) => a - b),
    errors,
    busy: busy / 1000,
    offsets: lastDone.map((t) => t - first),
    fresh,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/** A path under test; `proc` is the process whose CPU it is charged (none for direct: the upstream serves every path). */
export type Path = { name: string; url: string; token?: string; proc?: ChildProcess };

/**
 * One scenario: `rounds` rounds, each giving every path one `slice`-second load() in an order
 * rotated by one per round. Returns each path's runs in round order (index r = round r for every
 * path, which is what pairs them) and its CPU time in µs summed over its slices.
 */
export async function interleaved(
  paths: Path[],
  o: { stream: boolean; concurrency: number; rounds: number; slice: number; dispatcher: Agent },
) {
  const runs = new Map(paths.map((p) => [p.name, [] as Run[]]));
  const cpu = new Map(paths.map((p) => [p.name, 0]));
  for (let r = 0; r < o.rounds; r++) {
    for (let i = 0; i < paths.length; i++) {
      const { name, url, token, proc } = paths[(r + i) % paths.length];
      const before = proc ? await cpuMicros(proc) : 0;
      const offsets = runs.get(name)!.at(-1)?.offsets; // the first slice starts all workers at once, as a long phase did
      runs
        .get(name)!
        .push(
          await load({ url, token, stream: o.stream, concurrency: o.concurrency, seconds: o.slice, dispatcher: o.dispatcher, offsets }),
        );
      if (proc) cpu.set(name, cpu.get(name)! + (await cpuMicros(proc)) - before);
    }
  }
  return { runs, cpu };
}
