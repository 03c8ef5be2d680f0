import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import OpenAI from 'openai';
import type pg from 'pg';
import { createHttpApp } from '../../../control-plane/http/app.ts';
import { createLlmProxy, llmProxyEnvSchema } from '../../../control-plane/llm-proxy/index.ts';
import { usageRoutes } from '../../../control-plane/http/routes/usage.ts';
import type { LlmProxyMetrics } from '../../../control-plane/llm-proxy/metrics.ts';
import { createLogger } from '../../../shared/log.ts';
import type { BreakerOptions, ModelMap, OpenAITransport } from '../../../shared/llm/index.ts';
import { createTokenIssuer, createTokenVerifier, generateSigningJwk, publicJwks } from '../../../shared/tokens.ts';
import { startFakeAnthropic, startFakeOpenAI, type FakeProvider } from '../../../scripts/fakes/index.ts';

/**
 * A real fastify proxy on 127.0.0.1:0 in front of FAKE providers, with tokens and captured logs,
 * built by createLlmProxy from an environment as the control plane builds it.
 */
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
    /** The OpenAI transport; default from LLM_OPENAI_TRANSPORT, else the gateway's default. */
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
  const env = llmProxyEnvSchema.parse({
    OPENAI_API_KEY: 'test-key',
    OPENAI_BASE_URL: openai.url,
    ANTHROPIC_API_KEY: 'test-key',
    ANTHROPIC_BASE_URL: anthropic.url,
    LLM_OPENAI_TRANSPORT: opts.transport ?? process.env.LLM_OPENAI_TRANSPORT,
    LLM_TIMEOUT_MS: opts.timeoutMs ?? 2_000,
    LLM_RATE_LIMIT_RPM: opts.rpm ?? 10_000,
    LLM_RATE_LIMIT_TPM: opts.tpm ?? 10_000_000,
    LLM_MONTHLY_TOKEN_BUDGET: opts.monthlyTokens ?? 1e12,
    // Tests flush explicitly (a usage query flushes first); the timer never fires in a test's time.
    LLM_USAGE_FLUSH_MS: 3_600_000,
  });
  const proxy = createLlmProxy({
    env,
    log,
    verifier,
    db: opts.db,
    redis: opts.redis,
    redisKeyPrefix: opts.keyPrefix ?? randomUUID(),
    breaker: opts.breaker ?? { consecutiveFailures: 50, minimumRps: 1000 },
    modelMap: opts.modelMap,
    metrics: opts.metrics,
  })!;
  const { gateway, counters } = proxy;
  const app = createHttpApp({ log });
  await app.register(proxy.routes);
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
      await proxy.close();
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
