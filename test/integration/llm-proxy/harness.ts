import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import OpenAI from 'openai';
import type pg from 'pg';
import { createHttpApp } from '../../../control-plane/http/app.ts';
import { createLlmBudget } from '../../../control-plane/llm-proxy/budget.ts';
import { createUsageCounters } from '../../../control-plane/llm-proxy/counters.ts';
import { createLlmRateLimiter } from '../../../control-plane/llm-proxy/limiter.ts';
import { createLlmProxyRoutes } from '../../../control-plane/llm-proxy/routes.ts';
import { usageRoutes } from '../../../control-plane/http/routes/usage.ts';
import type { LlmProxyMetrics } from '../../../control-plane/llm-proxy/metrics.ts';
import { createLogger } from '../../../shared/log.ts';
import { createLlmGateway, type BreakerOptions, type ModelMap, type OpenAITransport } from '../../../shared/llm/index.ts';
import { createTokenIssuer, createTokenVerifier, generateSigningJwk, publicJwks } from '../../../shared/tokens.ts';
import { startFakeAnthropic, startFakeOpenAI, type FakeProvider } from '../../../scripts/fakes/index.ts';

/** A real fastify proxy on 127.0.0.1:0 in front of FAKE providers, with tokens and captured logs. */
export type ProxyHarness = Awaited<ReturnType<typeof startProxy>>;

export async function startProxy(
  opts: {
    fakes?: { openai: FakeProvider; anthropic: FakeProvider };
    redis?: Redis;
    keyPrefix?: string;
    db?: pg.Pool;
    rpm?: number;
    tpm?: number;
    monthlyTokens?: number;
    modelMap?: ModelMap;
    timeoutMs?: number;
    breaker?: BreakerOptions;
    tenant?: string;
    keys?: Awaited<ReturnType<typeof generateSigningJwk>>[];
    /** The OpenAI transport; default from LLM_OPENAI_TRANSPORT, else the SDK. */
    transport?: OpenAITransport;
    metrics?: LlmProxyMetrics;
  } = {},
) {
  const logs: string[] = [];
  const log = createLogger({ service: 'llm-proxy-test', level: 'debug', destination: { write: (s: string) => void logs.push(s) } });
  const ownFakes = !opts.fakes;
  const openai = opts.fakes?.openai ?? (await startFakeOpenAI());
  const anthropic = opts.fakes?.anthropic ?? (await startFakeAnthropic());
  const keys = opts.keys ?? [await generateSigningJwk()];
  const issuer = createTokenIssuer({ keys });
  const verifier = createTokenVerifier({ jwks: publicJwks(keys) });
  const tenant = opts.tenant ?? randomUUID();
  const gateway = createLlmGateway({
    providers: { openai: { apiKey: 'test-key', baseURL: openai.url }, anthropic: { apiKey: 'test-key', baseURL: anthropic.url } },
    openaiTransport: opts.transport ?? (process.env.LLM_OPENAI_TRANSPORT === 'passthrough' ? 'passthrough' : 'sdk'),
    log,
    timeoutMs: opts.timeoutMs ?? 2_000,
    breaker: opts.breaker ?? { consecutiveFailures: 50, minimumRps: 1000 },
    modelMap: opts.modelMap,
    onBreakerChange: opts.metrics?.onBreakerChange,
  });
  const counters = createUsageCounters({ db: opts.db, log, flushEveryMs: 0 });
  const app = createHttpApp({ log });
  await app.register(
    createLlmProxyRoutes({
      gateway,
      verifier,
      limiter: createLlmRateLimiter({
        rpm: opts.rpm ?? 10_000,
        tpm: opts.tpm ?? 10_000_000,
        redis: opts.redis,
        keyPrefix: `${opts.keyPrefix ?? randomUUID()}:rl`,
      }),
      budget: createLlmBudget({
        monthlyTokens: opts.monthlyTokens ?? 1e12,
        redis: opts.redis,
        keyPrefix: `${opts.keyPrefix ?? randomUUID()}:budget`,
      }),
      counters,
      log,
      metrics: opts.metrics,
    }),
  );
  await app.register(usageRoutes({ verifier, sources: [counters.query] }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const agentToken = await issuer.issue({ typ: 'agent', tenant, sub: 'reviewer', ttlSeconds: 600 });
  const apiToken = await issuer.issue({ typ: 'api', tenant, ttlSeconds: 600 });
  return {
    base,
    url: `${base}/v1`,
    /** The proxy's HTTP server, for tests that watch its connections. */
    server: app.server,
    tenant,
    keys,
    openai,
    anthropic,
    gateway,
    counters,
    logs,
    agentToken,
    apiToken,
    client: (token = agentToken) => new OpenAI({ baseURL: `${base}/v1`, apiKey: token, maxRetries: 0, timeout: 10_000 }),
    post: (body: unknown, token = agentToken) =>
      fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async close() {
      await app.close();
      await gateway.close();
      if (ownFakes) {
        await openai.close();
        await anthropic.close();
      }
    },
  };
}

export const REQ = {
  model: 'core',
  messages: [
    { role: 'system' as const, content: 'You review code changes.' },
    { role: 'user' as const, content: 'Please review the diff.' },
  ],
};

export const READ_FILE_TOOL = {
  type: 'function' as const,
  function: {
    name: 'read_file',
    description: 'Reads a file of the workspace',
    parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
};
