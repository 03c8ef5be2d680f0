/**
 * What one request costs the LLM proxy, counted instead of timed. The latency bench
 * (llm-proxy.ts) answers the question users ask, but on a shared machine its figures move by
 * more than most changes are worth, and the machine's speed itself changes from day to day.
 * Counts move far less with what else the machine is doing:
 *   - instructions per request, in every thread of the process (valgrind's callgrind counts
 *     instructions executed, not time);
 *   - system calls per request (strace -c -f): on a virtual machine each one is expensive, and a
 *     request's writes and reads are most of its cost there.
 * Both are printed for the floor (the bare forwarder of llm-proxy.ts: node:http + undici and
 * nothing else) and each proxy transport, and each proxy as a ratio of the floor. The processes
 * are llm-proxy.ts's own roles, so both benches measure the same code. Each count covers only the
 * measured requests: they start after a warm-up (JIT, keep-alive connections, token caches), the
 * counter is zeroed when they start and read when they end.
 * Every process runs with V8's memory reducer off (--no-memory-reducer). It runs full collections
 * on wall-clock timers once a process looks idle, and under valgrind a streaming proxy spends most
 * of its time waiting for the next event: --trace-gc-nvp showed such collections (reduce_memory=1)
 * during stream counts, where one adds a few hundred thousand instructions to every request of its
 * block. A process under load does not run them; they are not a request's cost. Counts are still
 * not exact: scavenges and the full collections allocation does cause are lumpy (one lands in one
 * block of requests and not the next; see counted()), and whole runs move with the machine's load
 * (the same pass-through proxy counted 2.6M and 3.5M instructions per stream in two runs of one
 * afternoon, its floor 2.0-2.1M). A short warm-up also counts the JIT's work: after 400 requests
 * (the warm-up of issue 12's A/B runs) V8 was still compiling, on the next 200 non-stream
 * requests, 256 of the proxy's functions and 137 of the floor's (--trace-opt, without valgrind);
 * after 2000, 30 and 18. Its compiler threads are counted with the rest, so two runs half an hour
 * apart gave per request 1034K (floor) and 1716K (proxy) with --warmup 400, and 284K and 550K
 * with --warmup 3000: the short warm-up's figures are mostly compilation, its ratio says little
 * about a proxy serving steadily, and a warm-up of a few thousand shows the per-request cost.
 * Compare paths of one run: `--baseline` puts a change and its base
 * in the same run. Smaller differences need `--top`, which says where the
 * instructions go, function by function (JavaScript included): that is how the per-event key search
 * was found to cost a tenth of a stream (see keyAt in shared/llm/passthrough/event-keys.ts).
 *
 *   npm run bench:llm-proxy-cost -- [--requests 400] [--blocks 5] [--warmup 600] [--concurrency 16]
 *     [--event-gap-ms 100] [--transports sdk,passthrough] [--modes non-stream,stream]
 *     [--counts instructions,syscalls] [--top 0] [--node-args=<flags>] [--baseline <checkout>]
 *   --event-gap-ms: the fake's pause between streamed events while counting (the warm-up runs
 *   without). Long enough that each event reaches a proxy in a read of its own, as tokens do from
 *   a real model, also under valgrind with every stream under way: when events queue up, several
 *   are handled per read and a stream's count depends on timing (without a gap the stream figures
 *   moved by up to 70% between runs, with 40 ms still by 15%).
 *   --top N: the N costliest functions of each path and mode (instructions only). Node then also
 *   writes its perf map, which adds to every count: compare totals from runs without --top.
 *   --node-args=<flags>: more node flags for the floor and every proxy (with `=`: they start with --).
 *   `--predictable` (no concurrent GC or compiler threads) was tried to steady the counts; it did
 *   not narrow the spread between blocks.
 *   --baseline counts another checkout's proxies too, as `<transport>@base` (see llm-proxy.ts):
 *   an A/B of a change in the same run. Under valgrind every process runs ~50x slower and starts
 *   in about a minute; a full run takes about ten minutes.
 * A run stops when a counted path did other work than the others: a request failed (the first
 * failure's cause is printed) or a proxy failed over to the secondary. Such failures used to come
 * from keep-alive idle timeouts of servers stalled by valgrind for longer than the timeout; the
 * bench's servers no longer time idle connections out (IDLE_FOREVER in llm-proxy.ts). A proxy's
 * own timeout would do the same on a busy machine: the counted proxies allow 300 s per reply or
 * event instead of the role's 5 s.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { createTokenIssuer, generateSigningJwk, publicJwks } from '../shared/tokens.ts';
import { functionCosts } from './callgrind-functions.ts';
import { ask, forkRole, load, proxyRoleEnv, type Msg } from './load.ts';

const run = promisify(execFile);
const ROLES = fileURLToPath(new URL('./llm-proxy.ts', import.meta.url));
const ROOT = resolve(ROLES, '../..');
const TRANSPORTS = ['sdk', 'passthrough'];
/** The counted proxies' time allowed per upstream reply or event (a --baseline checkout older than this keeps 5 s). */
const COUNTED_TIMEOUT_MS = 300_000;
const COUNTS = ['instructions', 'syscalls'] as const;
type Count = (typeof COUNTS)[number];

type Proc = { proc: ChildProcess; url: string };
type Path = { name: string; start(under: Count): Promise<Proc>; token?: string; root: string };

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    requests: { type: 'string', default: '400' },
    warmup: { type: 'string', default: '600' },
    blocks: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '16' },
    'event-gap-ms': { type: 'string', default: '100' },
    transports: { type: 'string', default: TRANSPORTS.join(',') },
    modes: { type: 'string', default: 'non-stream,stream' },
    counts: { type: 'string', default: COUNTS.join(',') },
    baseline: { type: 'string' },
    'node-args': { type: 'string', default: '' },
    top: { type: 'string', default: '0' },
  },
});
const top = Number(values.top);
if (!Number.isInteger(top) || top < 0) throw new Error(`--top must be a whole number ≥ 0, got ${values.top}`);
const nodeArgs = ['--no-memory-reducer', ...String(values['node-args']).split(' ').filter(Boolean)];
const perfMap = (proc: ChildProcess) => `/tmp/perf-${proc.pid}.map`;
const requests = wholeNumber('requests');
const warmup = wholeNumber('warmup');
const concurrency = wholeNumber('concurrency');
const blocks = wholeNumber('blocks');
const blockSize = Math.ceil(requests / blocks);
const eventGapMs = Number(values['event-gap-ms']);
if (!Number.isFinite(eventGapMs) || eventGapMs < 0) throw new Error(`--event-gap-ms must be a number ≥ 0, got ${values['event-gap-ms']}`);
const transports = String(values.transports).split(',');
for (const t of transports) if (!TRANSPORTS.includes(t)) throw new Error(`unknown transport ${t}; use ${TRANSPORTS.join(',')}`);
const counts = String(values.counts).split(',') as Count[];
for (const c of counts) if (!COUNTS.includes(c)) throw new Error(`unknown count ${c}; use ${COUNTS.join(',')}`);
const modes = String(values.modes)
  .split(',')
  .map((m) => m === 'stream');

function wholeNumber(name: 'requests' | 'warmup' | 'concurrency' | 'blocks'): number {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1, got ${values[name]}`);
  return n;
}

const work = mkdtempSync(join(tmpdir(), 'llm-proxy-cost-'));

/** A role of llm-proxy.ts (of this checkout or `script`'s) at `/v1`, under callgrind when instructions are counted. */
async function role(args: string[], env: Record<string, string>, under: Count, script = ROLES): Promise<Proc> {
  // Instrumentation starts off, so startup and the first warm-up run several times faster; it is
  // turned on just before the first measured requests (see counted()).
  // --perf-basic-prof: Node writes where its JIT code lies, so callgrind's addresses can be named.
  const perfProf = top ? ['--perf-basic-prof'] : [];
  const wrapper =
    under === 'instructions'
      ? {
          execPath: 'valgrind',
          execArgv: [
            '-q',
            '--tool=callgrind',
            '--instr-atstart=no',
            `--callgrind-out-file=${work}/cg.%p`,
            process.execPath,
            ...nodeArgs,
            ...perfProf,
          ],
        }
      : { execArgv: nodeArgs };
  const { proc, ready } = await forkRole(script, args, { env, ...wrapper });
  return { proc, url: `${ready.url as string}/v1` };
}

/**
 * callgrind_control acts when the process next runs code; an idle Node process sits in epoll_wait,
 * so an IPC message wakes it (a few thousand instructions, against millions per request).
 */
async function callgrind(proc: ChildProcess, args: string[]): Promise<void> {
  const done = run('callgrind_control', [...args, String(proc.pid)]);
  const wake = setInterval(() => proc.send({ type: 'cpu' }), 200);
  try {
    await done;
  } finally {
    clearInterval(wake);
  }
}

/** The instructions counted since the last dump or zeroing (a dump zeroes the counters too), and the dump. */
async function dumped(proc: ChildProcess): Promise<{ count: number; file: string }> {
  const before = new Set(readdirSync(work));
  await callgrind(proc, ['-d']);
  const dump = readdirSync(work).find((f) => f.startsWith(`cg.${proc.pid}.`) && !before.has(f));
  if (!dump) throw new Error(`callgrind wrote no dump for pid ${proc.pid}`);
  const summary = /^summary: (\d+)$/m.exec(readFileSync(join(work, dump), 'utf8'));
  if (!summary) throw new Error(`no summary line in callgrind dump ${dump}`);
  return { count: Number(summary[1]), file: join(work, dump) };
}

/**
 * What each block of measured requests cost `proc` (`block()` sends one). Instructions are
 * counted per block, so the spread between blocks shows how much a major GC or a re-optimisation
 * that lands in one block moves a count (up to 2x for a block of 80 requests); the figure is the
 * mean over all blocks, which includes such events at their real frequency. System calls are
 * counted over all blocks at once. Instrumentation, once on, stays on (switching it off and on
 * again gave absurd counts); each measurement zeroes the counters instead.
 */
async function counted(under: Count, proc: ChildProcess, block: () => Promise<void>): Promise<{ perBlock: number[]; dumps: string[] }> {
  if (under === 'instructions') {
    // Switching on is a no-op when already on; zeroing drops what the warm-up counted since.
    await callgrind(proc, ['-i', 'on']);
    await callgrind(proc, ['-z']);
    const perBlock: number[] = [];
    const dumps: string[] = [];
    for (let b = 0; b < blocks; b++) {
      await block();
      const d = await dumped(proc);
      perBlock.push(d.count);
      dumps.push(d.file);
    }
    return { perBlock, dumps };
  }
  const out = join(work, `strace.${proc.pid}`);
  const strace = spawn('strace', ['-c', '-f', '-o', out, '-p', String(proc.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  // strace says "attached" once per thread; the first one means counting has begun.
  await new Promise<void>((resolve, reject) => {
    strace.stderr!.on('data', (b: Buffer) => b.toString().includes('attached') && resolve());
    strace.once('exit', (code) => reject(new Error(`strace exited with ${code} before attaching (is it installed, may it ptrace?)`)));
  });
  await new Promise((r) => setTimeout(r, 200)); // its other threads
  for (let b = 0; b < blocks; b++) await block();
  const exited = new Promise((r) => strace.once('exit', r));
  strace.kill('SIGINT');
  await exited;
  const total = /^[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?total$/m.exec(readFileSync(out, 'utf8'));
  if (!total) throw new Error(`no total line in strace's summary ${out}`);
  return { perBlock: [Number(total[1]) / blocks], dumps: [] };
}

async function main(): Promise<void> {
  const keys = [await generateSigningJwk()];
  const token = await createTokenIssuer({ keys }).issue({ typ: 'agent', tenant: crypto.randomUUID(), sub: 'bench', ttlSeconds: 3600 });
  const upstream = await forkRole(ROLES, ['--role=upstream']);
  const gap = (ms: number) => ask(upstream.proc, 'event-gap', { ms });
  // Under valgrind a proxy runs ~50x slower, and on a busy machine slower still, so the role's 5 s
  // allows what 0.1 s would at full speed: a run at load 10 stopped on 4 streams answered 503 (every
  // provider failed), which such timeouts explain.
  const proxyEnv = (transport: string) => proxyRoleEnv(upstream.ready, publicJwks(keys), transport, COUNTED_TIMEOUT_MS);
  const paths: Path[] = [
    { name: 'floor', root: ROOT, start: (under) => role(['--role=floor'], { BENCH_FLOOR: upstream.ready.openai as string }, under) },
    ...transports.flatMap((t) => [
      { name: t, token, root: ROOT, start: (under: Count) => role(['--role=proxy', `--transport=${t}`], proxyEnv(t), under) },
      ...(values.baseline
        ? [
            {
              name: `${t}@base`,
              token,
              root: resolve(values.baseline),
              start: (under: Count) =>
                role(['--role=proxy', `--transport=${t}`], proxyEnv(t), under, resolve(values.baseline!, 'bench/llm-proxy.ts')),
            },
          ]
        : []),
    ]),
  ];
  const dispatcher = new Agent({ keepAlive: true, maxSockets: concurrency });
  console.log(
    `LLM proxy cost: ${requests} requests per path and mode after ${warmup} to warm up, ${concurrency} concurrent; fake upstream answers at once, streams with ${eventGapMs} ms between events`,
  );
  try {
    for (const under of counts) {
      // Started together: under valgrind each takes about a minute to load.
      const procs = await Promise.all(paths.map((p) => p.start(under)));
      try {
        const rows: Row[] = paths.map((p) => ({ name: p.name, perRequest: [] }));
        for (const stream of modes) {
          for (const [i, p] of paths.entries()) {
            const opts = { url: procs[i].url, token: p.token, stream, concurrency, seconds: Infinity, dispatcher };
            // Warm-up at full speed: the gap only matters while counting.
            await gap(0);
            const warm = await load({ ...opts, requests: warmup });
            let errors = warm.errors;
            let firstError = warm.firstError;
            await gap(eventGapMs);
            const before = p.token ? await failovers(procs[i].proc) : 0;
            const { perBlock, dumps } = await counted(under, procs[i].proc, async () => {
              const block = await load({ ...opts, requests: blockSize });
              errors += block.errors;
              firstError ??= block.firstError;
            });
            if (errors) throw new Error(`${p.name}: ${errors} requests failed (${firstError}); the counts would not be of the same work`);
            // A proxy hides a failed upstream call by failing over: no error, but different work counted.
            const failedOver = p.token ? (await failovers(procs[i].proc)) - before : 0;
            if (failedOver) throw new Error(`${p.name}: ${failedOver} requests failed over; the counts would not be of the same work`);
            rows[i].perRequest.push(perBlock.map((n) => n / blockSize));
            if (top && under === 'instructions')
              printTop(`${p.name}, ${stream ? 'stream' : 'non-stream'}`, functionCosts(dumps, perfMap(procs[i].proc), p.root));
          }
        }
        print(under, rows);
      } finally {
        // Waited for: callgrind writes a last file into `work` as each one exits.
        await Promise.all(procs.map((p) => new Promise((r) => (p.proc.once('exit', r), p.proc.send({ type: 'exit' })))));
        if (top && under === 'instructions') for (const p of procs) rmSync(perfMap(p.proc), { force: true });
      }
    }
  } finally {
    dispatcher.destroy();
    upstream.proc.kill();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Failovers a proxy role's gateway made so far. */
async function failovers(proc: ChildProcess): Promise<number> {
  const m = (await ask(proc, 'transitions')) as Msg & { metrics: { failovers: number } };
  return m.metrics.failovers;
}

/** The `top` functions by instructions per request (self cost; JavaScript named through the perf map). */
function printTop(title: string, costs: Map<string, number>): void {
  const total = [...costs.values()].reduce((a, b) => a + b, 0);
  console.log(`\n[${title}: the ${top} functions that cost most, thousands of instructions per request, self]`);
  for (const [name, n] of [...costs].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `  ${(n / (blockSize * blocks) / 1000).toFixed(1).padStart(8)}  ${((100 * n) / total).toFixed(1).padStart(5)}%  ${name.slice(0, 140)}`,
    );
  }
}

type Row = { name: string; perRequest: number[][] };

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

function print(under: Count, rows: Row[]): void {
  const unit =
    under === 'instructions' ? `instructions per request, thousands: mean [least .. most of ${blocks} blocks]` : 'system calls per request';
  const fmt = (v: number) => (under === 'instructions' ? (v / 1000).toFixed(0) : v.toFixed(1));
  const cell = (v: number[]) =>
    (v.length > 1 ? `${fmt(mean(v))} [${fmt(Math.min(...v))} .. ${fmt(Math.max(...v))}]` : fmt(v[0])).padStart(24);
  const ratio = (a: number[], b: number[]) => `${(mean(a) / mean(b)).toFixed(2)}x`;
  const floor = rows[0].perRequest;
  console.log(`\n[${unit}]`);
  console.log(`  path            ${modes.map((s) => (s ? 'stream' : 'non-stream').padStart(24)).join('')}   vs floor`);
  for (const r of rows) {
    const ratios = r === rows[0] ? '' : r.perRequest.map((v, i) => ratio(v, floor[i])).join(' / ');
    console.log(`  ${r.name.padEnd(16)}${r.perRequest.map(cell).join('')}   ${ratios}`);
  }
  for (const r of rows.filter((x) => x.name.endsWith('@base'))) {
    const candidate = rows.find((x) => x.name === r.name.slice(0, -5))!;
    console.log(`  ${candidate.name} vs ${r.name}: ${candidate.perRequest.map((v, i) => ratio(v, r.perRequest[i])).join(' / ')}`);
  }
}

await main();
