/**
 * LLM proxy bench. Processes as in production: the FAKE upstream providers, one proxy per OpenAI
 * transport under test (fastify + gateway + in-process limiter; `sdk` = the official client,
 * `passthrough` = undici streaming the upstream's bytes), a bare forwarder as the floor (node:http
 * + undici and nothing else: the price of the extra process and hops on this machine), and this
 * driver.
 *
 * Scenario 1 sends N concurrent requests, streaming and not, straight at the fake upstream
 * ("direct"), through the floor and through each proxy, and prints p50/p99, requests/s, the latency
 * each path adds, its throughput as a ratio of direct and its process's CPU time per request
 * (process.cpuUsage over IPC around each of its slices: the figure least disturbed by other load).
 * This machine is shared and other tenants' load drifts over seconds: with one long phase per path,
 * one after another, each path met different noise and "added" moved by several ms between runs,
 * sometimes below zero. So each scenario is cut into R rounds (--rounds, default one per half
 * second of --seconds); every round gives every path the same short slice, in an order rotated by
 * one each round so no path is always first. Two kinds of figures come out:
 *   - pooled: p50/p99 and req/s over all of a path's samples, and added = path minus direct.
 *     Interleaving gives every path the same drift on average, but a noisy second still lands in
 *     one pool; the tail (p99) is only measured here.
 *   - paired added p50: per round, path p50 minus the direct p50 measured moments before or after,
 *     then the median over the rounds (and its interquartile range, the noise left). Slow drift
 *     cancels within each pair and the median drops rounds a burst hit on one side only: this is
 *     the figure to compare runs by. Being a median, it hides rare stalls; pooled p99 shows them.
 * Slices must not change what is measured. Each waits for its in-flight requests before the next
 * path starts; the driver's keep-alive Agent keeps every path's sockets in between (new
 * connections during the rounds are printed and should be 0); and each slice resumes its path's
 * arrival pattern where the previous slice left it rather than firing all N at once (see load()).
 *
 * Scenario 2 makes the primary fail every request for a window and reports, per transport,
 * client-visible errors, primary attempts made after the breaker opened, and how long the breaker
 * took to close after recovery.
 *
 *   npm run bench:llm-proxy -- [--concurrency 64] [--seconds 5] [--rounds 10] [--outage-seconds 10]
 *     [--upstream-latency-ms 0,200,200~40] [--transports sdk,passthrough] [--modes non-stream,stream] [--pin]
 *     [--baseline <checkout>]
 *   --pin gives the floor and the proxies the last core to themselves and puts this driver and the
 *   fake upstream on the others (taskset), as in production, where a proxy does not share its
 *   machine with its clients and providers; without it all processes share every core.
 *   --seconds is each path's time per scenario, shared out over the rounds.
 *   --baseline runs the proxies of another checkout (e.g. `git worktree add /tmp/base main`, with a
 *   node_modules) beside this one's, in the same rounds, as `<transport>@base`: an A/B of a change
 *   that the machine's drift between two separate runs would otherwise swamp.
 *   BENCH_PROFILE=1 writes a --cpu-prof profile of each proxy to /tmp/llmscratch/prof;
 *   BENCH_PROXY_NODE_ARGS="--trace-gc ..." passes node flags to this checkout's proxies (not the
 *   floor, not --baseline's): with --baseline pointing at the same code, an A/B of the flags.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { createHttpApp } from '../control-plane/http/app.ts';
import { createLlmBudget } from '../control-plane/llm-proxy/budget.ts';
import { createUsageCounters } from '../control-plane/llm-proxy/counters.ts';
import { createLlmRateLimiter } from '../control-plane/llm-proxy/limiter.ts';
import { createLlmProxyRoutes } from '../control-plane/llm-proxy/routes.ts';
import { createLogger, logDestination } from '../shared/log.ts';
import { createLlmGateway, type OpenAITransport } from '../shared/llm/index.ts';
import { createTokenIssuer, createTokenVerifier, generateSigningJwk, publicJwks } from '../shared/tokens.ts';
import { startFakeAnthropic, startFakeOpenAI } from '../scripts/fakes/index.ts';
import { median, ms, pairedP50, quantile, summarize } from './stats.ts';
import { ask, forkRole, interleaved, load, proxyRoleEnv, type Msg, type Path, type Run } from './load.ts';

const TRANSPORTS: readonly OpenAITransport[] = ['sdk', 'passthrough'];

/**
 * Every server of the bench (fake upstream, floor, proxies) keeps idle keep-alive connections open
 * until the client closes them (0 turns the idle timeout off). With a timeout, a process that stalls
 * past it (under valgrind a callgrind dump or the switch to instrumentation can take longer than
 * 30 s on a busy machine) runs its expired idle timers on waking before it reads the requests that
 * arrived meanwhile, and resets those connections: the client sees ECONNRESET ("floor: 14 requests
 * failed"), or a proxy whose upstream connection was closed under it fails over to the secondary
 * and counts different work without an error. Each driver and proxy is the only client of its
 * servers, so nothing is lost by keeping connections.
 */
const IDLE_FOREVER = 0;
const role = process.argv.find((a) => a.startsWith('--role='))?.slice(7);

if (role === 'upstream') {
  // Its chunkDelayMs is the 'event-gap' message's: a pause after each streamed event, as a model
  // produces its tokens over time (llm-proxy-cost.ts, so every event reaches a proxy in a read of its own).
  // Idle connections stay open (see IDLE_FOREVER).
  const openaiOpts = { maxLog: 200_000, chunkDelayMs: 0, keepAliveTimeoutMs: IDLE_FOREVER };
  const openai = await startFakeOpenAI(openaiOpts);
  const anthropic = await startFakeAnthropic({ maxLog: 200_000, keepAliveTimeoutMs: IDLE_FOREVER });
  process.on('message', (m: Msg) => {
    if (m.type === 'fault') openai.setFault({ status: 500 }, { forMs: m.ms as number });
    if (m.type === 'event-gap') {
      openaiOpts.chunkDelayMs = m.ms as number;
      process.send!({ type: 'event-gap' });
    }
    if (m.type === 'latency') {
      // A real model takes a while to answer; this makes the load realistic rather than saturating.
      for (const f of [openai, anthropic]) f.setFault(m.ms ? { latencyMs: m.ms as number, spreadMs: m.spread as number } : null);
    }
    if (m.type === 'log') {
      process.send!({
        type: 'log',
        faulted: openai.requests.log.filter((r) => r.fault === 'status:500').map((r) => r.at),
        openai: openai.requests.count,
        anthropic: anthropic.requests.count,
      });
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
        .request({
          method: 'POST',
          path: `${base.pathname}chat/completions`,
          headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
          body: Buffer.concat(chunks),
        })
        .then(async (up) => {
          res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type']) });
          for await (const c of up.body) res.write(c);
          res.end();
        })
        .catch(() => res.destroy());
    });
  });
  server.keepAliveTimeout = IDLE_FOREVER;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.on('message', (m: Msg) => {
    if (m.type === 'exit') process.exit(0);
    if (m.type === 'cpu') process.send!({ type: 'cpu', ...process.cpuUsage() });
  });
  process.send!({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
} else if (role === 'proxy') {
  const env = JSON.parse(process.env.BENCH_PROXY ?? '{}');
  // Real logging cost (a JSON line per request, written as the services write it), to /dev/null.
  const log = createLogger({ service: 'bench-proxy', destination: logDestination('/dev/null') });
  const transitions: { to: string; at: number; attempts: number }[] = [];
  let attempts = () => 0;
  const gateway = createLlmGateway({
    providers: { openai: { apiKey: 'bench', baseURL: env.openai }, anthropic: { apiKey: 'bench', baseURL: env.anthropic } },
    openaiTransport: env.transport as OpenAITransport,
    log,
    timeoutMs: env.timeoutMs ?? 5_000,
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
  app.server.keepAliveTimeout = IDLE_FOREVER;
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

/** Forks a role of this script, or of the same script in another checkout (`--baseline`). */
function child(
  args: string[],
  env: Record<string, string> = {},
  script = fileURLToPath(import.meta.url),
): Promise<{ proc: ChildProcess; ready: Msg }> {
  const execArgv = process.env.BENCH_PROFILE && args[0] === '--role=proxy' ? ['--cpu-prof', '--cpu-prof-dir=/tmp/llmscratch/prof'] : [];
  if (process.env.BENCH_PROXY_NODE_ARGS && args[0] === '--role=proxy' && script === fileURLToPath(import.meta.url))
    execArgv.push(...process.env.BENCH_PROXY_NODE_ARGS.split(' '));
  return forkRole(script, args, { env, execArgv });
}

/**
 * A change against the same proxy from another checkout (`--baseline`), both measured in the same
 * rounds: the paired p50 difference per round (negative: the change is faster) and CPU per request.
 */
function compare(runs: Map<string, Run[]>, cpu: Map<string, number>, base: string, candidate: string): void {
  const requests = (name: string) => Math.max(1, summarize(runs.get(name)!, 1).requests);
  const d = pairedP50(runs.get(candidate)!, runs.get(base)!);
  const cpuRatio = cpu.get(candidate)! / requests(candidate) / (cpu.get(base)! / requests(base));
  console.log(
    `  ${candidate} vs ${base}: p50 ${ms(median(d), 0)} ms [${ms(quantile(d, 0.25), 0)} ..${ms(quantile(d, 0.75), 0)}] (paired), CPU/request ${cpuRatio.toFixed(2)}x`,
  );
}

function report(
  title: string,
  runs: Map<string, Run[]>,
  cpu: Map<string, number>,
  concurrency: number,
  transports: OpenAITransport[],
): void {
  const sum = new Map([...runs].map(([name, slices]) => [name, summarize(slices, concurrency)]));
  const d = sum.get('direct')!;
  const paired = (name: string, base = 'direct') => pairedP50(runs.get(name)!, runs.get(base)!);
  const cpuPerRequest = (name: string) => cpu.get(name)! / Math.max(1, sum.get(name)!.requests);
  const fresh = [...runs.values()].flat().reduce((n, r) => n + r.fresh, 0);
  console.log(`\n[${title}]  new connections during the rounds: ${fresh}`);
  console.log(`                 ------------ pooled ------------   added, pooled        added p50, paired     vs direct`);
  console.log(
    `  path           p50 ms   p99 ms    req/s  errors |    p50 ms    p99 ms | median  [IQR]            | throughput   CPU/request`,
  );
  for (const [name, s] of sum) {
    const p = paired(name);
    const added =
      name === 'direct'
        ? ''
        : `| ${ms(s.p50 - d.p50, 9)} ${ms(s.p99 - d.p99, 9)} | ${ms(median(p), 6)} [${ms(quantile(p, 0.25), 6)} ..${ms(quantile(p, 0.75), 6)}] | ${(s.rps / d.rps).toFixed(2).padStart(9)}x   ${cpuPerRequest(name).toFixed(0).padStart(6)} µs`;
    console.log(
      `  ${name.padEnd(12)} ${ms(s.p50)}  ${ms(s.p99)}  ${s.rps.toFixed(0).padStart(7)}  ${String(s.errors).padStart(6)} ${added}`,
    );
  }
  if (transports.length === 2) {
    const [a, b] = transports.map((t) => sum.get(t)!);
    const [ta, tb] = transports;
    console.log(
      `  ${tb} vs ${ta}: p50 ${ms(median(paired(tb, ta)), 0)} ms (paired), added p50 ${(median(paired(tb)) / median(paired(ta))).toFixed(2)}x (paired),` +
        ` added p99 ${((b.p99 - d.p99) / (a.p99 - d.p99)).toFixed(2)}x (pooled), throughput ${(b.rps / a.rps).toFixed(2)}x, CPU/request ${(cpuPerRequest(tb) / cpuPerRequest(ta)).toFixed(2)}x`,
    );
  }
}

async function driver(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      concurrency: { type: 'string', default: '64' },
      seconds: { type: 'string', default: '5' },
      rounds: { type: 'string' },
      'outage-seconds': { type: 'string', default: '10' },
      pin: { type: 'boolean', default: false },
      'upstream-latency-ms': { type: 'string', default: '0,200,200~40' },
      transports: { type: 'string', default: TRANSPORTS.join(',') },
      modes: { type: 'string', default: 'non-stream,stream' },
      baseline: { type: 'string' },
    },
  });
  const concurrency = Number(values.concurrency);
  const seconds = Number(values.seconds);
  // Half-second slices: long enough for a few requests per worker even at 200+ ms upstream latency,
  // short enough that the paths of one round see the same background load.
  const rounds = values.rounds === undefined ? Math.max(1, Math.round(seconds / 0.5)) : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a whole number ≥ 1, got ${values.rounds}`);
  const slice = seconds / rounds;
  const outage = Number(values['outage-seconds']);
  const transports = String(values.transports).split(',') as OpenAITransport[];
  for (const t of transports) if (!TRANSPORTS.includes(t)) throw new Error(`unknown transport ${t}; use ${TRANSPORTS.join(',')}`);
  const modes = String(values.modes)
    .split(',')
    .map((m) => m === 'stream');
  const keys = [await generateSigningJwk()];
  const token = await createTokenIssuer({ keys }).issue({ typ: 'agent', tenant: crypto.randomUUID(), sub: 'bench', ttlSeconds: 3600 });
  const upstream = await child(['--role=upstream']);
  const floor = await child(['--role=floor'], { BENCH_FLOOR: upstream.ready.openai as string });
  const proxies = new Map<OpenAITransport, { proc: ChildProcess; url: string }>();
  const baselines = new Map<string, { proc: ChildProcess; url: string }>();
  for (const transport of transports) {
    const env = proxyRoleEnv(upstream.ready, publicJwks(keys), transport);
    const p = await child(['--role=proxy', `--transport=${transport}`], env);
    proxies.set(transport, { proc: p.proc, url: `${p.ready.url as string}/v1` });
    if (!values.baseline) continue;
    const b = await child(['--role=proxy', `--transport=${transport}`], env, resolve(values.baseline, 'bench/llm-proxy.ts'));
    baselines.set(`${transport}@base`, { proc: b.proc, url: `${b.ready.url as string}/v1` });
  }
  // One keep-alive pool per path (maxSockets is per origin), kept across slices and scenarios.
  const cores = availableParallelism(); // read before pinning narrows this process to fewer
  if (values.pin) {
    if (cores < 2) throw new Error('--pin needs at least 2 cores');
    const pin = (pid: number, cpus: string) => execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    const rest = cores === 2 ? '0' : `0-${cores - 2}`;
    for (const pid of [process.pid, upstream.proc.pid!]) pin(pid, rest);
    for (const p of [floor, ...proxies.values(), ...baselines.values()]) pin(p.proc.pid!, String(cores - 1));
  }
  const dispatcher = new Agent({ keepAlive: true, maxSockets: concurrency });
  const direct = upstream.ready.openai as string;
  const paths: Path[] = [
    { name: 'direct', url: direct },
    { name: 'floor', url: `${floor.ready.url as string}/v1`, proc: floor.proc },
    ...[...proxies, ...baselines].map(([t, p]) => ({ name: t, url: p.url, token, proc: p.proc })),
  ];
  try {
    console.log(
      `LLM proxy bench: ${concurrency} concurrent, ${seconds}s per path per scenario in ${rounds} rounds of ${slice.toFixed(2)}s, fake upstream, cores=${cores}${values.pin ? ' (floor and proxies pinned to the last core)' : ''}, transports ${transports.join(' vs ')}`,
    );
    console.log('  pooled: over every sample of every round; added = path minus direct.');
    console.log('  paired: per round, path p50 minus direct p50 of that round; median over the rounds [interquartile range].');
    console.log('          Least moved by drift between runs; rare stalls show in pooled p99 only.');
    // Warm every path (JIT, tokenizer, keep-alive connections) before measuring.
    await load({ url: direct, stream: false, concurrency, seconds: 1, dispatcher });
    await load({ url: `${floor.ready.url as string}/v1`, stream: true, concurrency, seconds: 1, dispatcher });
    for (const { url } of [...proxies.values(), ...baselines.values()]) {
      for (const stream of [false, true]) await load({ url, token, stream, concurrency, seconds: 1, dispatcher });
    }
    // "200" is a fixed delay; "200~40" spreads delays evenly over 200..240 ms (deterministic, the
    // same set for every path), so responses do not leave the fake in lockstep timer ticks.
    const latencies = String(values['upstream-latency-ms'])
      .split(',')
      .map((l) => l.split('~').map(Number) as [number, number?]);
    for (const [[latency, spread = 0], stream] of latencies.flatMap((l) => modes.map((s) => [l, s] as const))) {
      upstream.proc.send({ type: 'latency', ms: latency, spread });
      const { runs, cpu } = await interleaved(paths, { stream, concurrency, rounds, slice, dispatcher });
      const title = `${stream ? 'streaming' : 'non-streaming'}, upstream latency ${latency}${spread ? `..${latency + spread}` : ''} ms${latency ? '' : ' (saturation)'}`;
      report(title, runs, cpu, concurrency, transports);
      for (const t of transports) if (baselines.has(`${t}@base`)) compare(runs, cpu, `${t}@base`, t);
    }

    // Scenario 2: the primary fails every request for `outage` seconds in the middle of a run.
    if (outage <= 0) return;
    upstream.proc.send({ type: 'latency', ms: 0 });
    for (const [transport, proxy] of proxies) await outageRun(transport, proxy, outage, concurrency, token, upstream.proc, dispatcher);
  } finally {
    dispatcher.destroy();
    upstream.proc.kill();
    for (const p of [floor, ...proxies.values(), ...baselines.values()]) p.proc.send({ type: 'exit' });
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
  console.log(
    `\n[outage, ${transport}] primary returns 500 for ${outage}s starting at t=${lead}s; ${concurrency} concurrent, mixed stream/non-stream`,
  );
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
  console.log(
    `  client-visible errors: ${runs[0].errors + runs[1].errors} of ${runs[0].latencies.length + runs[1].latencies.length + runs[0].errors + runs[1].errors} requests`,
  );
  console.log(`  primary requests that failed during the outage: ${faulted.length} (incl. those already in flight when it opened)`);
  console.log(`  primary attempts started after the breaker opened (half-open probes, incl. the closing one): ${wasted}`);
  console.log(
    `  breaker opened ${opened ? `${opened.at - outageStart} ms` : 'never'} after the outage began; closed ${closing ? `${closing.at - outageEnd} ms` : 'not yet'} after recovery`,
  );
  console.log(`  transitions: ${mine.map((x) => `${x.to}@${x.at - outageStart}ms`).join(' ')}`);
}
