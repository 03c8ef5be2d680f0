import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runAttempts, type Attempt, type AttemptRun, type Consumer, type Opened } from '../../../../shared/llm/attempts.ts';
import { DEFAULT_BREAKER } from '../../../../shared/llm/breaker.ts';
import { emptyCounters, makeBreakers, type Core, type LlmMeta, type Prepared } from '../../../../shared/llm/core.ts';
import { DEFAULT_MODEL_MAP, type ProviderName } from '../../../../shared/llm/models.ts';
import type { ProviderAdapter } from '../../../../shared/llm/providers/types.ts';
import { ZERO_USAGE, type LlmUsage } from '../../../../shared/llm/usage.ts';
import { createLogger } from '../../../../shared/log.ts';

/**
 * The attempt loop on its own, with a consumer scripted per provider: what it counts, logs and
 * bills, and what the caller gets, whatever the consumer (chat, chunk stream, pass-through) is.
 */

type Script = {
  /** Pieces the provider produces; a piece 'finish' completes the answer. */
  pieces?: string[];
  /** Thrown by open() (before anything came), or after the pieces (a break). */
  failOpen?: unknown;
  failAfter?: unknown;
  /** Waits after the pieces until the attempt's signal aborts (a provider still working). */
  stall?: boolean;
  usage?: LlmUsage;
  requestId?: string;
};

function harness(scripts: Partial<Record<ProviderName, Script>>) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ service: 'test', level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
  const order = Object.keys(scripts) as ProviderName[];
  const counters = emptyCounters();
  const core: Core = {
    adapters: new Map(order.map((n) => [n, { name: n } as ProviderAdapter])),
    breakers: makeBreakers(order, { ...DEFAULT_BREAKER, consecutiveFailures: 50 }, log, counters),
    order,
    modelMap: DEFAULT_MODEL_MAP,
    log,
    clock: Date.now,
    timeoutMs: 5_000,
    halfOpenAfterMs: 5_000,
    counters,
    counter: { count: () => 0 } as unknown as Core['counter'],
  };
  const p: Prepared = {
    tier: 'core',
    request: { model: 'core', messages: [{ role: 'user', content: 'q' }] },
    order,
    maxTokens: { openai: 100, anthropic: 100 },
    pruned: { turnsDropped: 0, toolResultsElided: 0 },
    promptTokens: 40,
    cacheKey: 'k',
    includeUsage: false,
  };
  const signals: AbortSignal[] = [];
  const returned: ProviderName[] = [];
  let sent = '';
  const consumer: Consumer<string> = {
    start(a: Attempt): AttemptRun<string> {
      signals.push(a.signal);
      const s = scripts[a.provider]!;
      let produced = '';
      const run: AttemptRun<string> & { usage?: LlmUsage; finished: boolean } = {
        finished: false,
        usage: undefined,
        providerRequestId: s.requestId,
        async open(): Promise<Opened> {
          if (s.failOpen) throw s.failOpen;
          const pieces = [...(s.pieces ?? [])];
          const rest: AsyncIterator<unknown> = {
            async next() {
              if (pieces.length) return { done: false, value: pieces.shift() };
              if (s.failAfter) throw s.failAfter;
              if (s.stall) await new Promise((_, reject) => a.signal.addEventListener('abort', () => reject(a.signal.reason)));
              return { done: true, value: undefined };
            },
            async return() {
              returned.push(a.provider);
              return { done: true, value: undefined };
            },
          };
          return { first: await rest.next(), rest };
        },
        take(piece) {
          if (piece === 'finish') {
            run.finished = true;
            run.usage = s.usage;
            return '';
          }
          produced += piece;
          sent += piece;
          return piece as string;
        },
        produced: () => produced,
      };
      return run;
    },
    midStream: () => sent !== '',
  };
  let meta: LlmMeta | undefined;
  let settled = 0;
  const settle = { resolve: (m: LlmMeta) => ((meta = m), settled++), reject: () => void settled++ };
  const ctrl = new AbortController();
  const gen = runAttempts(core, p, { tenant: 't', agent: 'a', requestId: 'req-1', signal: ctrl.signal }, consumer, settle);
  const drain = async () => {
    let out = '';
    for await (const piece of gen) out += piece;
    return out;
  };
  return { core, gen, drain, ctrl, lines, signals, returned, meta: () => meta, settled: () => settled };
}

const usage = (input: number, output: number): LlmUsage => ({ ...ZERO_USAGE, inputTokens: input, outputTokens: output });
const status = (s: number, requestId?: string) =>
  Object.assign(new Error(`status ${s}`), { status: s, headers: new Headers(requestId ? { 'x-request-id': requestId } : {}) });

test('a provider failing before its first piece moves the call on: counted, logged once with its request id, billed nothing', async () => {
  const h = harness({
    openai: { failOpen: status(503, 'req_o1') },
    anthropic: { pieces: ['Hi', 'finish'], usage: usage(12, 3) },
  });
  assert.equal(await h.drain(), 'Hi');
  const m = h.meta()!;
  assert.equal(m.provider, 'anthropic');
  assert.equal(m.failovers, 1);
  assert.deepEqual(m.usage, usage(12, 3), 'an error reply is not billed');
  assert.equal(m.estimated, undefined);
  const c = h.core.counters;
  assert.deepEqual([c.attempts.openai, c.failures.openai, c.failovers, c.midStreamFailovers], [1, 1, 1, 0]);
  const warn = h.lines.filter((l) => l.msg === 'llm upstream attempt failed; trying next provider');
  assert.equal(warn.length, 1);
  assert.equal(warn[0].providerRequestId, 'req_o1');
  assert.equal(warn[0].reason, 'server_error');
  assert.equal(warn[0].reqId, 'req-1');
  assert.equal(h.settled(), 1);
});

test('a stream that breaks after producing text is billed an estimate for that attempt, on top of the next one’s report', async () => {
  const h = harness({
    openai: { pieces: ['Hello '], failAfter: new TypeError('terminated') },
    anthropic: { pieces: ['world', 'finish'], usage: usage(12, 3) },
  });
  assert.equal(await h.drain(), 'Hello world');
  const m = h.meta()!;
  assert.equal(m.estimated, true);
  assert.deepEqual(m.usage, usage(40 + 12, 2 + 3), 'prompt + ⌈6 bytes / 4⌉ for the broken attempt');
  assert.equal(h.core.counters.midStreamFailovers, 1);
  assert.deepEqual(h.returned, ['openai'], 'the broken upstream stream is let go');
  assert.equal(h.signals[0].aborted, true, 'and its call ended');
});

test('a consumer that stops mid-stream settles the call once, cancelled, with the attempt under way billed', async () => {
  const h = harness({ openai: { pieces: ['Hello world'], stall: true } });
  assert.equal((await h.gen.next()).value, 'Hello world');
  await h.gen.return();
  const m = h.meta()!;
  assert.equal(m.cancelled, true);
  assert.equal(m.estimated, true);
  assert.deepEqual(m.usage, usage(40, 3), 'the prompt the provider read + ⌈11 / 4⌉');
  assert.deepEqual(h.returned, ['openai']);
  assert.equal(h.settled(), 1);
});

test('a caller who leaves gets LlmCallerGoneError with what was billed; nothing fails over', async () => {
  const h = harness({ openai: { pieces: ['Hel'], stall: true }, anthropic: { pieces: ['finish'] } });
  assert.equal((await h.gen.next()).value, 'Hel');
  const pending = h.gen.next();
  h.ctrl.abort();
  await assert.rejects(pending, (err: { code?: string; meta?: LlmMeta }) => {
    assert.equal(err.code, 'client_closed');
    assert.equal(err.meta?.cancelled, true);
    assert.deepEqual(err.meta?.usage, usage(40, 1));
    return true;
  });
  assert.equal(h.core.counters.attempts.anthropic, 0);
  assert.equal(h.settled(), 1);
});

test('a request-caused error is the caller’s, with the provider’s request id, and no other provider is tried', async () => {
  const h = harness({ openai: { failOpen: status(400, 'req_o2') }, anthropic: { pieces: ['finish'] } });
  await assert.rejects(h.drain(), { code: 'upstream_rejected', status: 400, providerRequestId: 'req_o2' });
  assert.equal(h.core.counters.attempts.anthropic, 0);
  assert.equal(h.settled(), 1);
});

test('when every provider fails the caller gets a 503 with the soonest Retry-After; when every reply was malformed, a 502', async () => {
  const down = harness({
    openai: { failOpen: Object.assign(status(429), { headers: new Headers({ 'retry-after': '7' }) }) },
    anthropic: { failOpen: status(529) },
  });
  await assert.rejects(down.drain(), { code: 'upstream_unavailable', status: 503, retryAfterSeconds: 7 });
  const garbled = harness({ openai: { pieces: ['x'] }, anthropic: { pieces: [] } });
  await assert.rejects(garbled.drain(), { code: 'upstream_bad_response', status: 502 });
});

test('a provider behind an open breaker is skipped: no attempt, no failure, no bill', async () => {
  const h = harness({ openai: { pieces: ['finish'] }, anthropic: { pieces: ['ok', 'finish'], usage: usage(1, 1) } });
  const breaker = h.core.breakers.get('openai')!;
  for (let i = 0; i < 50; i++) breaker.recordFailure(status(500));
  await new Promise((r) => setImmediate(r));
  assert.equal(breaker.state(), 'open');
  assert.equal(await h.drain(), 'ok');
  const c = h.core.counters;
  assert.deepEqual([c.attempts.openai, c.failures.openai, c.skippedOpen.openai, c.failovers], [0, 0, 1, 0]);
  assert.equal(h.meta()!.failovers, 0);
});
