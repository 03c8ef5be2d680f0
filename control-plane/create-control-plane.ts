import { mkdirSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ConstantBackoff, handleWhen, retry } from 'cockatiel';
import { createCleanupStack } from '../shared/cleanup-stack.ts';
import { checkDatabase } from '../shared/db/first-connect.ts';
import { startEmbeddedPostgres } from '../shared/db/embedded-postgres.ts';
import type { Logger } from '../shared/log.ts';
import { isBriefHubOutage } from '../shared/nats-errors.ts';
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
import { startEmbeddedHub, type EmbeddedHub } from './hub/embedded.ts';
import { createLeafLinkCheck } from './hub/leaf-links.ts';
import { watchHubConnection } from './hub/link-state.ts';
import { createHubAdmin, type HubAdmin } from './hub/leaf-users.ts';
import { ensureHubStreams } from './hub/streams.ts';
import { createDispatcher } from './routing/dispatch.ts';
import { startRelay } from './routing/relay.ts';
import { startSilenceSweeper } from './routing/silence.ts';
import { createBatchVerifier } from './telemetry/verify-batch.ts';
import { createBatchStore } from './telemetry/store-batch.ts';
import { startIngest } from './telemetry/ingest.ts';
import { createLlmProxy } from './llm-proxy/index.ts';
import { createDirectUsageSource } from './billing/direct-usage.ts';
import { usageRoutes } from './http/routes/usage.ts';
import { startDeadLetterMover } from './telemetry/dead-letter.ts';
import { settleWithin } from '../shared/settle-within.ts';

/**
 * Wires the control plane from its configuration; `main.ts` only parses env and handles signals. The
 * configuration was checked whole before this runs (config.ts). Everything started here is stopped
 * again if a later step fails, so a failed start leaves no hub process or connection behind.
 */
export async function createControlPlane(deps: { env: ControlPlaneEnv; log: Logger }) {
  const { env, log } = deps;
  const running = createCleanupStack();
  try {
    return await start(env, log, running);
  } catch (err) {
    await running.unwind();
    throw err;
  }
}
export type ControlPlane = Awaited<ReturnType<typeof createControlPlane>>;

// A hub reload (ours with an external hub, or an enrollment's) is asynchronous: for a moment the
// login can be refused and the JetStream API can have no responders. Both pass; retry briefly.
const duringHubReload = retry(handleWhen(isBriefHubOutage), { maxAttempts: 19, backoff: new ConstantBackoff(250) });

async function start(env: ControlPlaneEnv, log: Logger, running: ReturnType<typeof createCleanupStack>) {
  const keys = env.CONTROL_PLANE_TOKEN_KEYS;
  const issuer = createTokenIssuer({ keys });
  const jwks = publicJwks(keys);
  let databaseUrl = env.DATABASE_URL;
  if (databaseUrl) await checkDatabase(databaseUrl);
  else {
    mkdirSync(env.STATE_DIR, { recursive: true, mode: 0o700 });
    const embedded = await startEmbeddedPostgres({ stateDir: env.STATE_DIR, database: 'agentplane', log });
    running.defer(() => embedded.stop(), 15_000);
    databaseUrl = embedded.url;
  }
  await runMigrations({ databaseUrl, log });
  const db = createDb({ databaseUrl });
  running.defer(() => db.end());
  const tenants = createTenantStore(db);
  const verifier = createTokenVerifier({ jwks, isTenantActive: async (id) => Boolean(await tenants.get(id)) });
  const workflows = createWorkflowStore(db);

  let natsUrl = env.HUB_NATS_URL;
  let natsUser = env.HUB_NATS_USER;
  let natsPass = env.HUB_NATS_PASSWORD;
  let hub: HubAdmin;
  let embeddedHub: EmbeddedHub | undefined;
  let hubMonitorUrl = env.HUB_MONITOR_URL;
  if (!natsUrl) {
    mkdirSync(env.STATE_DIR, { recursive: true, mode: 0o700 });
    const leafTls =
      env.HUB_LEAF_TLS_CERT_FILE && env.HUB_LEAF_TLS_KEY_FILE
        ? { certFile: env.HUB_LEAF_TLS_CERT_FILE, keyFile: env.HUB_LEAF_TLS_KEY_FILE }
        : undefined;
    const embedded = await startEmbeddedHub({ stateDir: env.STATE_DIR, tenants: await tenants.leafUsers(), leafTls, log });
    running.defer(() => embedded.stop(), 12_000);
    embeddedHub = embedded;
    hubMonitorUrl = embedded.monitorUrl;
    ({ natsUrl, user: natsUser, password: natsPass } = embedded);
    hub = createHubAdmin({
      accountsPath: embedded.accountsPath,
      pidFile: embedded.pidFile,
      controlPlaneUser: embedded.user,
      controlPlanePasswordBcrypt: embedded.passwordBcrypt,
      leafUrl: embedded.leafUrl,
      log,
    });
    log.info(
      { natsUrl, leafUrl: embedded.leafUrl, stateDir: env.STATE_DIR },
      'HUB_NATS_URL not set: using an embedded nats-server hub (ports and store kept in the state dir; restarted if it dies)',
    );
    if (!leafTls)
      log.warn({ leafUrl: embedded.leafUrl }, 'the hub leafnode link is plaintext on loopback (embedded default); production hubs use TLS');
  } else {
    // The schema made every HUB_* variable required once HUB_NATS_URL is set.
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

  const nc: NatsConnection = await duringHubReload.execute(() =>
    // A short handshake timeout so a stalled try is retried rather than waited on for 20 s.
    connect({ servers: natsUrl, user: natsUser, pass: natsPass, name: 'control-plane', maxReconnectAttempts: -1, timeout: 5_000 }),
  );
  running.defer(async () => {
    await settleWithin(nc.drain(), 5000);
    if (!nc.isClosed()) await settleWithin(nc.close(), 1000);
  }, 7000);
  await duringHubReload.execute(() => ensureHubStreams(nc));
  const hubLink = watchHubConnection(nc);
  const dispatcher = createDispatcher({ nc, hubConnected: hubLink.connected });
  // Every JetStream call of the start can meet another replica's enrollment reloading the shared
  // hub (JetStream "not enabled" for a moment): each worker start is idempotent, so it is retried.
  const ingest = await duringHubReload.execute(() =>
    startIngest({ nc, verify: createBatchVerifier({ tenants }), store: createBatchStore(db), log }),
  );
  running.defer(() => ingest.stop());
  const deadLetters = await duringHubReload.execute(() => startDeadLetterMover({ nc, log }));
  running.defer(() => deadLetters.stop());
  const relay = await duringHubReload.execute(() => startRelay({ nc, workflows, log }));
  running.defer(() => relay.stop());
  const silence = startSilenceSweeper({ db, log, timeoutMs: env.WORKFLOW_SILENCE_TIMEOUT_MS });
  running.defer(() => silence.stop());

  const redis = env.REDIS_URL ? new Redis(env.REDIS_URL, { maxRetriesPerRequest: 2, enableOfflineQueue: true }) : undefined;
  // An unreachable Redis must not crash the process; readiness reports it instead.
  redis?.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  if (redis) running.defer(() => redis.disconnect());
  // The proxy serves only tenants that chose routed mode.
  const proxyVerifier = routedTenantsOnly(verifier, async (id) => (await tenants.get(id))?.llmMode);
  const llmProxy = createLlmProxy({ env, log, verifier: proxyVerifier, db, redis });
  if (llmProxy) running.defer(() => llmProxy.close());

  const app = createHttpApp({
    log,
    limits: {
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnectionsPerClient: env.HTTP_MAX_CONNECTIONS_PER_CLIENT,
    },
  });
  // Shutdown: new requests get 503 at once, while the LLM calls in flight get until the drain
  // deadline (then they are cut); every call's usage is written before the pool closes.
  const drainMs = env.SHUTDOWN_DRAIN_MS ?? env.LLM_TIMEOUT_MS + 30_000;
  running.defer(async () => {
    // Node closes only the connections idle when the close begins; a keep-alive connection whose
    // request finishes during the drain would otherwise hold the close until its idle timeout.
    const idle = setInterval(() => app.server.closeIdleConnections(), 200);
    try {
      await Promise.all([app.close(), llmProxy?.drain(drainMs)]);
    } finally {
      clearInterval(idle);
    }
  }, drainMs + 15_000);
  await app.register(
    healthRoutes({
      jwks,
      checks: {
        postgres: async () => void (await db.query('SELECT 1')),
        nats: async () => {
          if (!hubLink.connected()) throw new Error('disconnected');
          await nc.flush();
        },
        ...(redis ? { redis: async () => void (await redis.ping()) } : {}),
      },
      reports: hubMonitorUrl
        ? {
            leaves: createLeafLinkCheck({
              monitorUrl: hubMonitorUrl,
              enrolledTenants: async () => (await tenants.leafUsers()).map((u) => u.tenant),
            }),
          }
        : undefined,
    }),
  );
  await app.register(tenantRoutes({ tenants, issuer, verifier, db, hub }));
  await app.register(enrollRoutes({ db, tenants, verifier, hub }));
  await app.register(workflowRoutes({ db, workflows, dispatcher, verifier }));
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
    /** The embedded hub, when there is one (tests kill its process to prove supervision and readiness). */
    embeddedHub,
    async listen(): Promise<string> {
      return app.listen({ host: env.HOST, port: env.PORT });
    },
    /** Stops everything, newest first: the HTTP API, then the proxy and workers, NATS, the hub, the pool. */
    stop: () => running.unwind(),
  };
}
