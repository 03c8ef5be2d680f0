import { mkdirSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { JWK } from 'jose';
import type { Logger } from '../shared/log.ts';
import { ConfigError } from '../shared/errors.ts';
import { createTokenIssuer, createTokenVerifier, publicJwks } from '../shared/tokens.ts';
import type { ControlPlaneEnv } from './config.ts';
import { createDb } from './db/pool.ts';
import { runMigrations } from './db/migrate.ts';
import { createTenantStore } from './db/tenants.ts';
import { createWorkflowStore } from './db/workflows.ts';
import { createHttpApp } from './http/app.ts';
import { routedTenantsOnly } from './http/middleware/require-auth/routed-mode.ts';
import { tenantRoutes } from './http/routes/tenants.ts';
import { enrollRoutes } from './http/routes/enroll.ts';
import { workflowRoutes } from './http/routes/workflows.ts';
import { healthRoutes } from './http/routes/health.ts';
import { startEmbeddedHub } from './hub/embedded.ts';
import { createHubAdmin, type HubAdmin } from './hub/leaf-users.ts';
import { ensureHubStreams } from './hub/streams.ts';
import { createDispatcher } from './routing/dispatch.ts';
import { startRelay } from './routing/relay.ts';
import { createBatchVerifier } from './telemetry/verify-batch.ts';
import { createBatchStore } from './telemetry/store-batch.ts';
import { startIngest } from './telemetry/ingest.ts';
import { createLlmProxy } from './llm-proxy/index.ts';
import { createDirectUsageSource } from './billing/direct-usage.ts';
import { usageRoutes } from './http/routes/usage.ts';
import { settleWithin } from '../shared/settle-within.ts';
import { withRetries } from '../shared/with-retries.ts';
import { startDeadLetterMover } from './telemetry/dead-letter.ts';

/** Wires the control plane from its configuration; `main.ts` only parses env and handles signals. */
export async function createControlPlane(deps: { env: ControlPlaneEnv; log: Logger }) {
  const { env, log } = deps;
  const keys = parseKeys(env.CONTROL_PLANE_TOKEN_KEYS);
  const issuer = createTokenIssuer({ keys });
  const jwks = publicJwks(keys);
  await runMigrations({ databaseUrl: env.DATABASE_URL, log });
  const db = createDb({ databaseUrl: env.DATABASE_URL });
  const tenants = createTenantStore(db);
  const verifier = createTokenVerifier({ jwks, isTenantActive: async (id) => Boolean(await tenants.get(id)) });
  const workflows = createWorkflowStore(db);

  const stoppers: Array<() => Promise<void>> = [];
  let natsUrl = env.HUB_NATS_URL;
  let natsUser = env.HUB_NATS_USER;
  let natsPass = env.HUB_NATS_PASSWORD;
  let hub: HubAdmin;
  let embeddedHub: Awaited<ReturnType<typeof startEmbeddedHub>>['process'] | undefined;
  if (!natsUrl) {
    mkdirSync(env.STATE_DIR, { recursive: true, mode: 0o700 });
    if (Boolean(env.HUB_LEAF_TLS_CERT_FILE) !== Boolean(env.HUB_LEAF_TLS_KEY_FILE)) {
      throw new ConfigError('control-plane', ['HUB_LEAF_TLS_CERT_FILE and HUB_LEAF_TLS_KEY_FILE are set together or not at all']);
    }
    const leafTls =
      env.HUB_LEAF_TLS_CERT_FILE && env.HUB_LEAF_TLS_KEY_FILE
        ? { certFile: env.HUB_LEAF_TLS_CERT_FILE, keyFile: env.HUB_LEAF_TLS_KEY_FILE }
        : undefined;
    const embedded = await startEmbeddedHub({ stateDir: env.STATE_DIR, tenants: await tenants.leafUsers(), leafTls });
    stoppers.push(() => embedded.process.stop());
    embeddedHub = embedded.process;
    ({ natsUrl, user: natsUser, password: natsPass } = embedded);
    hub = createHubAdmin({
      accountsPath: embedded.accountsPath,
      pidFile: embedded.pidFile,
      controlPlaneUser: embedded.user,
      controlPlanePasswordBcrypt: embedded.passwordBcrypt,
      leafUrl: embedded.leafUrl,
      log,
    });
    log.info({ natsUrl, leafUrl: embedded.leafUrl }, 'HUB_NATS_URL not set: using an embedded nats-server hub');
    if (!leafTls)
      log.warn({ leafUrl: embedded.leafUrl }, 'the hub leafnode link is plaintext on loopback (embedded default); production hubs use TLS');
  } else {
    const missing = (['HUB_NATS_USER', 'HUB_NATS_PASSWORD', 'HUB_ACCOUNTS_PATH', 'HUB_PID_FILE', 'HUB_LEAF_URL'] as const).filter(
      (k) => !env[k],
    );
    if (missing.length) throw new ConfigError('control-plane', [`with HUB_NATS_URL set, also required: ${missing.join(', ')}`]);
    hub = createHubAdmin({
      accountsPath: env.HUB_ACCOUNTS_PATH!,
      pidFile: env.HUB_PID_FILE!,
      controlPlaneUser: env.HUB_NATS_USER!,
      controlPlanePasswordBcrypt: await bcrypt.hash(env.HUB_NATS_PASSWORD!, 10),
      leafUrl: env.HUB_LEAF_URL!,
      log,
    });
    // Leaf logins come from the database, so a restarted hub knows every enrolled tenant again.
    await hub.apply(await tenants.leafUsers());
  }

  // A hub reload (ours, just above, with an external hub) is asynchronous: for a moment the login
  // can be refused and the JetStream API can answer "no responders". Both pass; retry briefly.
  const duringReload = (err: unknown) => /authorization violation|no responders|timeout/i.test(String(err));
  const nc: NatsConnection = await withRetries(
    // A short handshake timeout so a stalled try is retried rather than waited on for 20 s.
    () => connect({ servers: natsUrl, user: natsUser, pass: natsPass, name: 'control-plane', maxReconnectAttempts: -1, timeout: 5_000 }),
    { attempts: 20, delayMs: 250, isTransient: duringReload },
  );
  await withRetries(() => ensureHubStreams(nc), { attempts: 20, delayMs: 250, isTransient: duringReload });
  const dispatcher = createDispatcher({ nc });
  const ingest = await startIngest({ nc, verify: createBatchVerifier({ tenants }), store: createBatchStore(db), log });
  const deadLetters = await startDeadLetterMover({ nc, log });
  const relay = await startRelay({ nc, workflows, log });

  const redis = env.REDIS_URL ? new Redis(env.REDIS_URL, { maxRetriesPerRequest: 2, enableOfflineQueue: true }) : undefined;
  // An unreachable Redis must not crash the process; readiness reports it instead.
  redis?.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  // The proxy serves only tenants that chose routed mode.
  const proxyVerifier = routedTenantsOnly(verifier, async (id) => (await tenants.get(id))?.llmMode);
  const llmProxy = createLlmProxy({ env, log, verifier: proxyVerifier, db, redis });

  const app = createHttpApp({
    log,
    limits: {
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnectionsPerClient: env.HTTP_MAX_CONNECTIONS_PER_CLIENT,
    },
  });
  await app.register(
    healthRoutes({
      jwks,
      checks: {
        postgres: async () => void (await db.query('SELECT 1')),
        nats: async () => {
          if (nc.isClosed()) throw new Error('closed');
          await nc.flush();
        },
        ...(redis ? { redis: async () => void (await redis.ping()) } : {}),
      },
    }),
  );
  await app.register(tenantRoutes({ tenants, issuer, verifier, db, hub }));
  await app.register(enrollRoutes({ db, tenants, verifier, hub }));
  await app.register(workflowRoutes({ workflows, dispatcher, verifier }));
  if (llmProxy) await app.register(llmProxy.routes);
  // Usage is reported in both LLM modes: routed calls from the proxy's counters, direct calls from
  // the usage counters the customer planes sent up.
  const usageSources = [createDirectUsageSource(db), ...(llmProxy ? [llmProxy.counters.query] : [])];
  await app.register(usageRoutes({ verifier, sources: usageSources }));

  return {
    app,
    issuer,
    db,
    nc,
    /** The embedded hub's process, when there is one (tests stop it to prove readiness follows it). */
    embeddedHub,
    async listen(): Promise<string> {
      return app.listen({ host: env.HOST, port: env.PORT });
    },
    async stop(): Promise<void> {
      await settleWithin(app.close(), 10_000);
      await settleWithin(relay.stop(), 5000);
      await settleWithin(ingest.stop(), 5000);
      await settleWithin(llmProxy?.close(), 5000);
      redis?.disconnect();
      await settleWithin(deadLetters.stop(), 5000);
      await settleWithin(nc.drain(), 5000);
      if (!nc.isClosed()) await settleWithin(nc.close(), 1000);
      await settleWithin(db.end(), 5000);
      for (const stop of stoppers.reverse()) await settleWithin(stop(), 10_000);
    },
  };
}
export type ControlPlane = Awaited<ReturnType<typeof createControlPlane>>;

function parseKeys(raw: string): JWK[] {
  let keys: unknown;
  try {
    keys = JSON.parse(raw);
  } catch {
    throw new ConfigError('control-plane', ['invalid: CONTROL_PLANE_TOKEN_KEYS (not JSON)']);
  }
  if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => typeof k !== 'object' || !k?.d || !k?.kid)) {
    throw new ConfigError('control-plane', ['invalid: CONTROL_PLANE_TOKEN_KEYS (expected a JSON array of private JWKs with kid)']);
  }
  return keys as JWK[];
}
