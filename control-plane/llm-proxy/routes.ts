import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../shared/log.ts';
import {
  LlmCallerGoneError,
  LlmError,
  pruneHeader,
  totalTokens,
  type LlmGateway,
  type LlmMeta,
  type LlmSseStream,
} from '../../shared/llm/index.ts';
import type { TokenVerifier } from '../../shared/tokens.ts';
import { authOf, requireAuth, tenantScopeOf } from '../http/middleware/require-auth/index.ts';
import type { LlmBudget } from './budget.ts';
import type { UsageCounters } from './counters.ts';
import type { LlmRateLimiter } from './limiter.ts';
import type { LlmProxyMetrics } from './metrics.ts';
import { installOpenAIErrors, openAIErrorBody } from './openai-errors.ts';
import { requestBytes } from './request-bytes.ts';
import { cachingVerifier } from './verifier-cache.ts';
import type { InflightCalls } from './inflight.ts';
import { AppError } from '../../shared/errors.ts';

export type LlmProxyDeps = {
  gateway: LlmGateway;
  verifier: TokenVerifier;
  limiter: LlmRateLimiter;
  budget: LlmBudget;
  counters: UsageCounters;
  log: Logger;
  metrics?: LlmProxyMetrics;
  /** Largest chat request body; prompts with long context are bigger than the API default. */
  bodyLimit?: number;
  /** Calls in flight, drained at shutdown. */
  inflight?: InflightCalls;
};

/**
 * Writes an event stream to the response. Pieces produced in one turn of the event loop (one
 * upstream read often holds many events) are joined and leave in one write, so one socket write
 * and one HTTP chunk: corking the response does not do that for chunked bodies, since Node sends
 * a corked response's pieces one syscall each when it uncorks. A slow reader is waited for rather
 * than buffered without bound.
 */
async function pump(stream: LlmSseStream, res: ServerResponse, onError: (err: unknown) => string, cut: () => boolean): Promise<void> {
  let pending = '';
  const flush = () => {
    if (!pending || res.writableEnded) return;
    const text = pending;
    pending = '';
    res.write(text);
  };
  const write = (text: string) => {
    if (!text) return;
    if (!pending) process.nextTick(flush);
    pending += text;
  };
  let tail = 'data: [DONE]\n\n';
  try {
    for await (const piece of stream) {
      if (res.destroyed) break;
      write(piece);
      if (res.writableNeedDrain) await new Promise<void>((resolve) => (res.once('drain', resolve), res.once('close', resolve)));
    }
  } catch (err) {
    // Headers are gone; OpenAI clients surface an `error` event as an exception.
    tail = onError(err);
  } finally {
    await stream.cancel().catch(() => undefined);
  }
  // Cut at shutdown: the stream may just have ended early, and must not read as a complete answer.
  if (cut() && tail.startsWith('data: [DONE]')) tail = onError(new Error('cut at shutdown'));
  if (res.destroyed) return;
  const last = pending + tail;
  pending = '';
  res.end(last);
}

/**
 * The routed-mode LLM proxy: an OpenAI-compatible chat endpoint for agents (agent token). Rate
 * limit and budget are checked before any provider call; usage is counted after it, into the
 * counters behind the tenant's usage report (http/routes/usage.ts). Prompts and completions pass
 * through memory only: logs and metrics carry sizes, models, statuses, token counts and latency.
 */
export function createLlmProxyRoutes(deps: LlmProxyDeps): (app: FastifyInstance) => Promise<void> {
  const agentAuth = requireAuth(cachingVerifier(deps.verifier), 'agent');
  deps.metrics?.observe(() => deps.gateway.metrics());
  // Redaction by key name (shared/log.ts) costs a cached lookup per field of this flat line.
  const summaryLog = deps.log;

  // The one log line of a request that succeeded, or that the client left (fastify's own request
  // lines are off for the chat route: two more JSON lines per call were a fifth of the proxy's CPU
  // in the bench). A request the client left is billed like any other, with what the provider
  // produced until then: `cancelled: true`, and `estimated: true` when some of the tokens are our
  // estimate rather than the provider's report (the totals include them).
  function settle(
    req: FastifyRequest,
    tenant: string,
    estimated: number,
    meta: LlmMeta,
    stream: boolean,
    started: number,
    bytes: number,
  ): void {
    deps.counters.record(tenant, meta);
    const total = totalTokens(meta.usage);
    void Promise.all([deps.budget.spend(tenant, total), deps.limiter.settle(tenant, estimated, total)]).catch((err: Error) =>
      deps.log.warn({ reqId: req.id, errName: err.name }, 'llm usage settlement failed'),
    );
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    // 499: the client closed the request (the nginx convention); the upstream call was billed.
    deps.metrics?.requestFinished({ provider: meta.provider, tier: meta.tier, status: meta.cancelled ? 499 : 200, stream }, latencyMs);
    const u = meta.usage;
    // One literal of a fixed shape, no spreads: spreading into a literal this size builds it key by
    // key, for every request. The line is the same: pino leaves out fields that are undefined.
    summaryLog.info(
      {
        reqId: req.id,
        tenant,
        tier: meta.tier,
        provider: meta.provider,
        model: meta.model,
        stream,
        requestBytes: bytes,
        latencyMs,
        failovers: meta.failovers,
        prunedTurns: meta.pruned.turnsDropped,
        prunedToolResults: meta.pruned.toolResultsElided,
        inputTokens: u.inputTokens,
        cachedInputTokens: u.cachedInputTokens,
        cacheCreationTokens: u.cacheCreationTokens,
        outputTokens: u.outputTokens,
        cancelled: meta.cancelled ? true : undefined,
        estimated: meta.estimated ? true : undefined,
      },
      'llm request finished',
    );
  }

  return async (app) => {
    installOpenAIErrors(app, deps.log);

    // logLevel warn: no automatic "incoming request"/"request completed" info lines on this route;
    // settle() or the error handler writes one line per request instead. Warnings still show.
    const chatOpts = { onRequest: agentAuth, bodyLimit: deps.bodyLimit ?? 8 * 1024 * 1024, logLevel: 'warn' as const };
    app.post('/v1/chat/completions', chatOpts, async (req, reply) => {
      const started = performance.now();
      const tenant = tenantScopeOf(req);
      const agent = authOf(req).sub;
      const bytes = requestBytes(req.headers['content-length'], req.body);
      // Bytes/4 is the usual prompt-token ratio; the count is corrected with real usage afterwards.
      const estimated = Math.max(1, Math.ceil(bytes / 4));
      await Promise.all([deps.limiter.admit(tenant, estimated), deps.budget.check(tenant)]);

      const abort = new AbortController();
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) abort.abort();
      });
      const ctx = { tenant, agent, requestId: req.id, signal: abort.signal };
      const wantsStream = (req.body as { stream?: unknown } | null)?.stream === true;
      // Shutdown waits for this call until it is over and counted (inflight.ts).
      const call = deps.inflight?.begin(abort);
      let billed: Promise<void> | undefined;
      // Accounting and the log line run just after the reply is written, not in front of it.
      const settleSoon = (meta: LlmMeta, stream: boolean) =>
        new Promise<void>((resolve) => setImmediate(() => (settle(req, tenant, estimated, meta, stream, started, bytes), resolve())));
      const cutAtShutdown = () => call?.cutAtShutdown() === true;

      // A caller who hangs up before the answer (or a stream's first chunk) is billed for the
      // provider attempt under way; the error handler then has nobody to answer. A call cut by the
      // shutdown deadline is billed the same way, and its caller told to retry elsewhere.
      const billGone = (err: unknown): never => {
        if (err instanceof LlmCallerGoneError) billed = settleSoon(err.meta, wantsStream);
        if (cutAtShutdown()) throw new AppError('shutting_down', 503, 'this replica is shutting down; retry', { cause: err });
        throw err;
      };

      try {
        if (!wantsStream) {
          const { completion, meta } = await deps.gateway.chat(req.body, ctx).catch(billGone);
          reply.header('x-agentplane-pruned', pruneHeader(meta.pruned));
          reply.header('x-agentplane-provider', meta.provider);
          billed = settleSoon(meta, false);
          return completion;
        }

        // Failures before the first byte reject here and get a plain HTTP error from the error handler.
        // Once it started, meta settles when the stream ends, also when the client left mid-way
        // (then with `cancelled`), so every stream that reached a provider is counted.
        const stream = await deps.gateway.chatSse(req.body, ctx).catch(billGone);
        billed = stream.meta.then(
          (meta) => settleSoon(meta, true),
          () => undefined,
        );
        await streamReply(req, reply, stream, abort, cutAtShutdown);
      } finally {
        if (call) void Promise.resolve(billed).finally(call.finished);
      }
    });
  };

  async function streamReply(
    req: FastifyRequest,
    reply: FastifyReply,
    stream: LlmSseStream,
    abort: AbortController,
    cutAtShutdown: () => boolean,
  ): Promise<void> {
    // From here the response is written directly (no per-chunk trip through a Readable and
    // fastify's send); onSend hooks do not run, so the request id header is set here.
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      'x-request-id': req.id,
      'x-agentplane-pruned': pruneHeader(stream.pruned),
    });
    await pump(
      stream,
      reply.raw,
      (err) => {
        if (cutAtShutdown()) {
          deps.log.info({ reqId: req.id, code: 'shutting_down' }, 'llm stream cut: the shutdown deadline passed');
          const body = {
            error: { message: 'this replica is shutting down; retry', type: 'api_error', code: 'shutting_down', param: null },
          };
          return `data: ${JSON.stringify(body)}\n\n`;
        }
        if (abort.signal.aborted) {
          deps.log.info({ reqId: req.id, code: 'client_closed' }, 'llm stream ended early: the client went away');
          return '';
        }
        const { body, status } = openAIErrorBody(err);
        const providerRequestId = err instanceof LlmError ? err.providerRequestId : undefined;
        deps.log.warn({ reqId: req.id, code: body.error.code, status, providerRequestId }, 'llm stream failed after it started');
        return `data: ${JSON.stringify(body)}\n\n`;
      },
      cutAtShutdown,
    );
  }
}
