/**
 * LLM proxy bench. Processes as in production: the FAKE upstream providers, one proxy per OpenAI
 * transport under test (fastify + gateway + in-process limiter; `sdk` = the official client,
 * `passthrough` = undici streaming the upstream's bytes), a bare forwarder as the floor (node:http
 * + undici and nothing else: the price of the extra process and hops on this machine), and this
 * driver. Scenario 1 sends N concurrent requests, streaming and not, straight at the fake upstream
 * and then through the floor and each proxy in turn, and prints p50/p99, requests/s, the latency
 * each adds, its throughput as a ratio of direct, and its process's CPU time per request (user +
 * system, from process.cpuUsage: the figure least disturbed by other load on a shared machine),
 * side by side. Scenario 2 makes the primary fail every request for a window and reports, per
 * transport, client-visible errors, primary attempts made after the breaker opened, and how long
 * the breaker took to close after recovery.
 *
 *   npm run bench:llm-proxy -- [--concurrency 64] [--seconds 5] [--outage-seconds 10]
 *     [--upstream-latency-ms 0,200,200~40] [--transports sdk,passthrough] [--modes non-stream,stream]
 *   BENCH_PROFILE=1 writes a --cpu-prof profile of each proxy to /tmp/llmscratch/prof.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { pino } from 'pino';
import { createHttpApp } from '../control-plane/http/app.ts';
import { createLlmBudget } from '../control-plane/llm-proxy/budget.ts';
import { createUsageCounters } from '../control-plane/llm-proxy/counters.ts';
import { createLlmRateLimiter } from '../control-plane/llm-proxy/limiter.ts';
import { createLlmProxyRoutes } from '../control-plane/llm-proxy/routes.ts';
import { createLogger } from '../shared/log.ts';
import { createLlmGateway, type OpenAITransport } from '../shared/llm/index.ts';
import { createTokenIssuer, createTokenVerifier, generateSigningJwk, publicJwks } from '../shared/tokens.ts';
import { startFakeAnthropic, startFakeOpenAI } from '../test/support/fake-providers/index.ts';

type Msg = { type: string; [k: string]: unknown };
const TRANSPORTS: readonly OpenAITransport[] = ['sdk', 'passthrough'];
const role = process.argv.find((a) => a.startsWith('--role='))?.slice(7);

if (role === 'upstream') {
  const openai = await startFakeOpenAI({ maxLog: 200_000 });
  const anthropic = await startFakeAnthropic({ maxLog: 200_000 });
  process.on('message', (m: Msg) => {
    if (m.type === 'fault') openai.setFault({ status: 500 }, { forMs: m.ms as number });
    if (m.type === 'latency') {
      // A real model takes a while to answer; this makes the load realistic rather than saturating.
      for (const f of [openai, anthropic]) f.setFault(m.ms ? { latencyMs: m.ms as number, spreadMs: m.spread as number } : null);
    }
    if (m.type === 'log') {
      process.send!({ type: 'log', faulted: openai.requests.log.filter((r) => r.fault === 'status:500').map((r) => r.at), openai: openai.requests.count, anthropic: anthropic.requests.count });
    }
  });
  process.send!({ type: 'ready', openai: openai.url, anthropic: anthropic.url });
} else if (role === 'floor') {
  // The floor: a bare node:http server forwarding bytes to the fake over an undici pool, with no
  // auth, validation, limits, accounting or logging. What it adds is the price of one more process
  // and two more loopback hops on this machine, which no proxy can go under.
  const base = new URL(`${process.env.BENCH_FLOOR}/`);
  const pool = new Pool(base.origin, { connections: 256 });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      pool
        .request({ method: 'POST', path: `${base.pathname}chat/completions`, headers: { 'content-type': 'application/json', authorization: 'Bearer bench' }, body: Buffer.concat(chunks) })
        .then(async (up) => {
          res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type']) });
          for await (const c of up.body) res.write(c);
          res.end();
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.on('message', (m: Msg) => {
    if (m.type === 'exit') process.exit(0);
    if (m.type === 'cpu') process.send!({ type: 'cpu', ...process.cpuUsage() });
  });
  process.send!({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
} else if (role === 'proxy') {
  const env = JSON.parse(process.env.BENCH_PROXY ?? '{}');
  // Real logging cost (a JSON line per request), written to /dev/null.
  const log = createLogger({ service: 'bench-proxy', destination: pino.destination('/dev/null') });
  const transitions: { to: string; at: number; attempts: number }[] = [];
  let attempts = () => 0;
  const gateway = createLlmGateway({
    providers: { openai: { apiKey: 'bench', baseURL: env.openai }, anthropic: { apiKey: 'bench', baseURL: env.anthropic } },
    openaiTransport: env.transport as OpenAITransport,
    log,
    timeoutMs: 5_000,
    breaker: { consecutiveFailures: 5, halfOpenAfterMs: 1_000 },
    onBreakerChange: (p, _from, to) => p === 'openai' && transitions.push({ to, at: Date.now(), attempts: attempts() }),
  });
  attempts = () => gateway.metrics().attempts.openai;
  const app = createHttpApp({ log });
  await app.register(
    createLlmProxyRoutes({
      gateway,
      verifier: createTokenVerifier({ jwks: env.jwks }),
      limiter: createLlmRateLimiter({ rpm: 1e9, tpm: 1e12 }),
      budget: createLlmBudget({ monthlyTokens: 1e15 }),
      counters: createUsageCounters({ log }),
      log,
    }),
  );
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  process.on('message', (m: Msg) => {
    if (m.type === 'exit') process.exit(0); // lets --cpu-prof write its profile
    if (m.type === 'transitions') process.send!({ type: 'transitions', transitions, metrics: gateway.metrics() });
    if (m.type === 'cpu') process.send!({ type: 'cpu', ...process.cpuUsage() });
  });
  process.send!({ type: 'ready', url });
} else {
  await driver();
}

function child(args: string[], env: Record<string, string> = {}): Promise<{ proc: ChildProcess; ready: Msg }> {
  const execArgv = process.env.BENCH_PROFILE && args[0] === '--role=proxy' ? ['--cpu-prof', '--cpu-prof-dir=/tmp/llmscratch/prof'] : [];
  const proc = fork(fileURLToPath(import.meta.url), args, { env: { ...process.env, ...env }, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    proc.once('message', (ready: Msg) => resolve({ proc, ready }));
    proc.once('exit', (code) => reject(new Error(`bench child ${args.join(' ')} exited with ${code}`)));
  });
}

function ask(proc: ChildProcess, type: string): Promise<Msg> {
  return new Promise((resolve) => {
    proc.once('message', resolve);
    proc.send({ type });
  });
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

/** node:http with a keep-alive pool: the lightest client available, so it does not hide proxy cost. */
function post(url: string, headers: Record<string, string>, body: string, agent: Agent): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

type Run = { latencies: number[]; errors: number; seconds: number };

async function load(opts: { url: string; token?: string; stream: boolean; concurrency: number; seconds: number; dispatcher: Agent }): Promise<Run> {
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
  const start = performance.now();
  const end = start + opts.seconds * 1000;
  async function worker() {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const { status, text } = await post(`${opts.url}/chat/completions`, headers, body, opts.dispatcher);
        if (status !== 200 || (opts.stream && !text.endsWith('data: [DONE]\n\n'))) errors++;
        else latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return { latencies: latencies.sort((a, b) => a - b), errors, seconds: (performance.now() - start) / 1000 };
}

async function driver(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      concurrency: { type: 'string', default: '64' },
      seconds: { type: 'string', default: '5' },
      'outage-seconds': { type: 'string', default: '10' },
      'upstream-latency-ms': { type: 'string', default: '0,200,200~40' },
      transports: { type: 'string', default: TRANSPORTS.join(',') },
      modes: { type: 'string', default: 'non-stream,stream' },
    },
  });
  const concurrency = Number(values.concurrency);
  const seconds = Number(values.seconds);
  const outage = Number(values['outage-seconds']);
  const transports = String(values.transports).split(',') as OpenAITransport[];
  for (const t of transports) if (!TRANSPORTS.includes(t)) throw new Error(`unknown transport ${t}; use ${TRANSPORTS.join(',')}`);
  const modes = String(values.modes).split(',').map((m) => m === 'stream');
  const keys = [await generateSigningJwk()];
  const token = await createTokenIssuer({ keys }).issue({ typ: 'agent', tenant: crypto.randomUUID(), sub: 'bench', ttlSeconds: 3600 });
  const upstream = await child(['--role=upstream']);
  const floor = await child(['--role=floor'], { BENCH_FLOOR: upstream.ready.openai as string });
  const proxies = new Map<OpenAITransport, { proc: ChildProcess; url: string }>();
  for (const transport of transports) {
    const p = await child(['--role=proxy', `--transport=${transport}`], {
      BENCH_PROXY: JSON.stringify({ openai: upstream.ready.openai, anthropic: upstream.ready.anthropic, jwks: publicJwks(keys), transport }),
    });
    proxies.set(transport, { proc: p.proc, url: `${p.ready.url as string}/v1` });
  }
  const dispatcher = new Agent({ keepAlive: true, maxSockets: concurrency });
  const direct = upstream.ready.openai as string;
  try {
    console.log(
      `LLM proxy bench: ${concurrency} concurrent, ${seconds}s per phase, fake upstream, cores=${availableParallelism()}, transports ${transports.join(' vs ')}`,
    );
    // Warm every path (JIT, tokenizer, keep-alive connections) before measuring.
    await load({ url: direct, stream: false, concurrency, seconds: 1, dispatcher });
    await load({ url: `${floor.ready.url as string}/v1`, stream: true, concurrency, seconds: 1, dispatcher });
    for (const { url } of proxies.values()) {
      for (const stream of [false, true]) await load({ url, token, stream, concurrency, seconds: 1, dispatcher });
    }
    // "200" is a fixed delay; "200~40" spreads delays evenly over 200..240 ms (deterministic, the
    // same set for every path), so responses do not leave the fake in lockstep timer ticks.
    const latencies = String(values['upstream-latency-ms'])
      .split(',')
      .map((l) => l.split('~').map(Number) as [number, number?]);
    const rps = (r: Run) => r.latencies.length / r.seconds;
    const ms = (v: number) => v.toFixed(2).padStart(7);
    for (const [[latency, spread = 0], stream] of latencies.flatMap((l) => modes.map((s) => [l, s] as const))) {
      upstream.proc.send({ type: 'latency', ms: latency, spread });
      const d = await load({ url: direct, stream, concurrency, seconds, dispatcher });
      const rows: [string, Run][] = [['direct', d]];
      const cpu = new Map<string, number>();
      const targets: [string, { url: string; proc: ChildProcess; token?: string }][] = [
        ['floor', { url: `${floor.ready.url as string}/v1`, proc: floor.proc }],
        ...[...proxies].map(([t, p]) => [t, { ...p, token }] as [string, { url: string; proc: ChildProcess; token?: string }]),
      ];
      for (const [t, { url, proc, token }] of targets) {
        const before = (await ask(proc, 'cpu')) as Msg & NodeJS.CpuUsage;
        const r = await load({ url, token, stream, concurrency, seconds, dispatcher });
        const after = (await ask(proc, 'cpu')) as Msg & NodeJS.CpuUsage;
        cpu.set(t, (after.user + after.system - before.user - before.system) / Math.max(1, r.latencies.length + r.errors));
        rows.push([t, r]);
      }
      console.log(`\n[${stream ? 'streaming' : 'non-streaming'}, upstream latency ${latency}${spread ? `..${latency + spread}` : ''} ms${latency ? '' : ' (saturation)'}]`);
      console.log(`  ${'path'.padEnd(12)}   p50 ms   p99 ms    req/s  errors | added p50   added p99   throughput vs direct   CPU/request`);
      for (const [name, r] of rows) {
        const added =
          name === 'direct'
            ? ''
            : `| ${ms(pct(r.latencies, 50) - pct(d.latencies, 50))}     ${ms(pct(r.latencies, 99) - pct(d.latencies, 99))}     ${(rps(r) / rps(d)).toFixed(2).padStart(5)}x                ${cpu.get(name)!.toFixed(0).padStart(4)} µs`;
        console.log(`  ${name.padEnd(12)} ${ms(pct(r.latencies, 50))}  ${ms(pct(r.latencies, 99))}  ${rps(r).toFixed(0).padStart(7)}  ${String(r.errors).padStart(6)} ${added}`);
      }
      if (rows.length === 4) {
        const [, a] = rows[2];
        const [, b] = rows[3];
        console.log(
          `  ${rows[3][0]}/${rows[2][0]}: added p50 ${((pct(b.latencies, 50) - pct(d.latencies, 50)) / (pct(a.latencies, 50) - pct(d.latencies, 50))).toFixed(2)}x, added p99 ${((pct(b.latencies, 99) - pct(d.latencies, 99)) / (pct(a.latencies, 99) - pct(d.latencies, 99))).toFixed(2)}x, throughput ${(rps(b) / rps(a)).toFixed(2)}x, CPU/request ${(cpu.get(rows[3][0])! / cpu.get(rows[2][0])!).toFixed(2)}x`,
        );
      }
    }

    // Scenario 2: the primary fails every request for `outage` seconds in the middle of a run.
    if (outage <= 0) return;
    upstream.proc.send({ type: 'latency', ms: 0 });
    for (const [transport, proxy] of proxies) await outageRun(transport, proxy, outage, concurrency, token, upstream.proc, dispatcher);
  } finally {
    dispatcher.destroy();
    upstream.proc.kill();
    for (const p of [floor, ...proxies.values()]) p.proc.send({ type: 'exit' });
  }
}

async function outageRun(
  transport: OpenAITransport,
  proxy: { proc: ChildProcess; url: string },
  outage: number,
  concurrency: number,
  token: string,
  upstream: ChildProcess,
  dispatcher: Agent,
): Promise<void> {
  const lead = 3;
  const tail = 5;
  console.log(`\n[outage, ${transport}] primary returns 500 for ${outage}s starting at t=${lead}s; ${concurrency} concurrent, mixed stream/non-stream`);
  const before = (await ask(upstream, 'log')) as Msg & { faulted: number[] };
  const t0 = (await ask(proxy.proc, 'transitions')) as Msg & { transitions: unknown[] };
  let outageStart = 0;
  const timer = setTimeout(() => {
    outageStart = Date.now();
    upstream.send({ type: 'fault', ms: outage * 1000 });
  }, lead * 1000);
  const total = lead + outage + tail;
  const runs = await Promise.all([
    load({ url: proxy.url, token, stream: false, concurrency: concurrency / 2, seconds: total, dispatcher }),
    load({ url: proxy.url, token, stream: true, concurrency: concurrency / 2, seconds: total, dispatcher }),
  ]);
  clearTimeout(timer);
  const outageEnd = outageStart + outage * 1000;
  const after = (await ask(upstream, 'log')) as Msg & { faulted: number[] };
  const t = (await ask(proxy.proc, 'transitions')) as Msg & { transitions: { to: string; at: number; attempts: number }[] };
  const mine = t.transitions.slice(t0.transitions.length);
  const opened = mine.find((x) => x.to === 'open' && x.at >= outageStart);
  const faulted = after.faulted.slice(before.faulted.length);
  const closing = mine.find((x) => x.to === 'closed' && x.at >= outageEnd);
  // Primary attempts the gateway STARTED while the breaker was open or half-open, i.e. its probes;
  // the attempt that closes the breaker is the last of them.
  const wasted = opened && closing ? closing.attempts - opened.attempts : faulted.length;
  console.log(`  client-visible errors: ${runs[0].errors + runs[1].errors} of ${runs[0].latencies.length + runs[1].latencies.length + runs[0].errors + runs[1].errors} requests`);
  console.log(`  primary requests that failed during the outage: ${faulted.length} (incl. those already in flight when it opened)`);
  console.log(`  primary attempts started after the breaker opened (half-open probes, incl. the closing one): ${wasted}`);
  console.log(
    `  breaker opened ${opened ? `${opened.at - outageStart} ms` : 'never'} after the outage began; closed ${closing ? `${closing.at - outageEnd} ms` : 'not yet'} after recovery`,
  );
  console.log(`  transitions: ${mine.map((x) => `${x.to}@${x.at - outageStart}ms`).join(' ')}`);
}
