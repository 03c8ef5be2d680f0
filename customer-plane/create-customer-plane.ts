import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type CleanupStack, createCleanupStack } from '../shared/cleanup-stack.ts';
import type { Logger } from '../shared/log.ts';
import { subjects } from '../shared/subjects.ts';
import { settleWithin } from '../shared/settle-within.ts';
import { createHash } from 'node:crypto';
import { createLlmGateway, DEFAULT_MODEL_MAP } from '../shared/llm/index.ts';
import type { AgentName, TemplateName } from '../shared/boundary.ts';
import { createDb } from '../shared/db/pool.ts';
import { checkDatabase } from '../shared/db/first-connect.ts';
import type { DbPassword } from '../shared/db/password.ts';
import { databasePasswordOf } from './secrets/database-password.ts';
import { startEmbeddedPostgres } from '../shared/db/embedded-postgres.ts';
import { CATALOG } from '../agents/catalog/index.ts';
import { TEMPLATE_DEFINITIONS } from '../agents/templates/index.ts';
import type { AgentDefinition, WorkflowTemplate } from '../agents/types.ts';
import type { ApprovalBroker } from './gate/approval-broker.ts';
import { createStoredBroker } from './approvals/broker.ts';
import { migrateApprovals } from './approvals/migrate.ts';
import { loadEnvironments, stalePins } from './environments/environments.ts';
import { startLocalApiWithSecret } from './console/api/start.ts';
import { startConsoleForPlane } from './console/start.ts';
import type { CommandGuard, CommandRunner } from './guard/types.ts';
import type { RunnerLlm } from './llm/types.ts';
import { createRoutedLlm } from './llm/routed-client.ts';
import { withUsageReporting } from './llm/usage-reporter.ts';
import type { UsageCounter } from '../shared/boundary.ts';
import type { CustomerPlaneEnv } from './config.ts';
import type { SecretBackend, SecretStore } from './secrets/store.ts';
import { selectSecretBackend } from './secrets/select.ts';
import { createSecretsProvider, type SecretScope } from './secrets/provider.ts';
import { createSecretMasking, type SecretMasking } from './secrets/masking.ts';
import { agentTokenSource, llmKeySource, ownSecretsForMasking, signingKeySource } from './secrets/plane-secrets.ts';
import { createRunInputs } from './runner/ledger/inputs.ts';
import type { Dispatch } from '../shared/dispatch.ts';
import { ensureEnrolled } from './enroll.ts';
import { checkStartupSecrets, type LlmCredentials } from './preflight.ts';
import { startEmbeddedLeaf, type LocalLogins } from './leaf/embedded.ts';
import { createSeqCounter } from './egress/seq-counter.ts';
import { ensureOutbox } from './egress/outbox.ts';
import { createEgress } from './egress/egress.ts';
import { startForwarder, type Forwarded } from './egress/forwarder.ts';
import { auditLogPath, openAuditLog } from './egress/audit-log.ts';
import { metrics } from '@opentelemetry/api';
import { createRunnerMetrics } from './telemetry/runner-metrics.ts';
import { ensureWorkQueue } from './runner/work-queue.ts';
import { startIntake } from './runner/intake.ts';
import { startRunner } from './runner/worker.ts';
import { createCommandExecution } from './runner/command-execution.ts';
import { createRunLedger } from './runner/ledger/runs.ts';
import { migrateLedger } from './runner/ledger/migrate.ts';
import { memoryConfigOf } from './memory/config.ts';
import { createMemory } from './memory/memory.ts';
import { migrateMemory } from './memory/migrate.ts';

/**
 * What a test or an operator's build may put in place of the defaults: the agent catalog and templates,
 * the command guard and runner (default: the tree-sitter-bash guard and the sandboxed argv runner), the
 * approval broker (default: pending approvals in the `approvals` schema, decided by a person) and the
 * fetch used by an approved fetch_url.
 */
export type RuntimeOverrides = {
  catalog?: Partial<Record<AgentName, AgentDefinition>>;
  templates?: Partial<Record<TemplateName, WorkflowTemplate>>;
  guard?: CommandGuard;
  commandRunner?: CommandRunner;
  broker?: ApprovalBroker;
  fetch?: typeof fetch;
  /** The secret scope of a run (default `sandbox/` for every run, until environments supply one each). */
  secretScope?: (d: Dispatch) => SecretScope;
};

/**
 * Wires the customer plane; `main.ts` only parses env and handles signals. Everything the start needs
 * from the environment and the secret store is checked before anything happens (config.ts, then
 * preflight.ts), and whatever was started is stopped again if a later step fails: a failed start
 * leaves no leaf process or connection behind.
 */
export async function createCustomerPlane(deps: {
  env: CustomerPlaneEnv;
  log: Logger;
  /** The secret store; default: the one SECRETS_BACKEND selects. */
  secrets?: SecretBackend;
  /** Masks the secrets of runs in progress in log lines: give the same one to the logger (main.ts does). */
  masking?: SecretMasking;
  onForwarded?: (f: Forwarded) => void | Promise<void>;
  runtime?: RuntimeOverrides;
}) {
  const running = createCleanupStack();
  try {
    return await start(deps, running);
  } catch (err) {
    await running.unwind();
    throw err;
  }
}
export type CustomerPlane = Awaited<ReturnType<typeof createCustomerPlane>>;

async function start(deps: Parameters<typeof createCustomerPlane>[0], running: CleanupStack) {
  const { env, log } = deps;
  // The environments first: a malformed file stops the start before anything else happens.
  const environments = await loadEnvironments({ file: env.ENVIRONMENTS_FILE });
  const catalog = deps.runtime?.catalog ?? CATALOG;
  const templates = deps.runtime?.templates ?? TEMPLATE_DEFINITIONS;
  log.info({ environments: environments.names(), source: environments.source }, 'environments loaded');
  const stale = stalePins(environments, templates, catalog);
  if (stale.length)
    log.warn({ stale }, 'reviewed templates changed since they were pinned: they will not run there until reviewed and pinned again');
  const stateDir = resolve(env.STATE_DIR);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const secrets = deps.secrets ?? selectSecretBackend(env, stateDir, log);
  const checked = await checkStartupSecrets(env, secrets);
  // Then the ledger, before enrolling: a plane that cannot record its runs must not take work.
  // With DATABASE_PASSWORD_SECRET every new connection reads the password (RDS rotates it): no restart.
  // One source, one cache: the first connect, the migrations and the pool share a read.
  const password = databasePasswordOf(env);
  const databaseUrl = await openDatabase(env.DATABASE_URL, stateDir, log, running, password);
  await migrateLedger({ databaseUrl, log, password });
  await migrateApprovals({ databaseUrl, log, password });
  await migrateMemory({ databaseUrl, log, password });
  // +1: the connection that listens for approval decisions.
  const db = createDb({ databaseUrl, max: env.RUNNER_CONCURRENCY * 2 + 5, password });
  running.defer(() => db.end(), 5000);
  const { key, leaf } = await ensureEnrolled({
    secrets,
    tenant: env.TENANT_ID,
    controlPlaneUrl: env.CONTROL_PLANE_URL,
    enrollToken: env.ENROLL_TOKEN,
    log,
  });

  let natsUrl = env.LEAF_NATS_URL;
  let logins: LocalLogins;
  if (!natsUrl) {
    const embedded = await startEmbeddedLeaf({
      stateDir,
      tenant: env.TENANT_ID,
      hubLeafUrl: leaf.url,
      leafUser: leaf.username,
      leafPassword: leaf.password,
      serverVersion: env.NATS_SERVER_VERSION,
      monitorPort: env.LEAF_MONITOR_PORT,
      hubCaFile: env.LEAF_HUB_CA_FILE,
      onPlaintextLink: (hub) => log.warn({ hub }, 'the link to the hub is plaintext: allowed only to a hub on loopback (embedded default)'),
    });
    running.defer(() => embedded.process.stop(), 10_000);
    natsUrl = embedded.natsUrl;
    logins = embedded.logins;
    log.info({ natsUrl }, 'LEAF_NATS_URL not set: using an embedded nats-server leaf (loopback only, dials out to the hub)');
  } else {
    // Read and checked by the preflight: with LEAF_NATS_URL the logins come from the secret store.
    logins = checked.localLogins!;
  }

  // Two logins, two connections: only the egress login may publish ap.up.*, and the hub's acks come
  // back down on the tenant's own inbox subject.
  const egressNc: NatsConnection = await connect({
    servers: natsUrl,
    user: logins.egress.user,
    pass: logins.egress.password,
    name: 'egress',
    inboxPrefix: subjects.downInbox(env.TENANT_ID),
    maxReconnectAttempts: -1,
  });
  running.defer(() => closeConnection(egressNc), 6000);
  const runnerNc: NatsConnection = await connect({
    servers: natsUrl,
    user: logins.runner.user,
    pass: logins.runner.password,
    name: 'runner',
    maxReconnectAttempts: -1,
  });
  running.defer(() => closeConnection(runnerNc), 6000);
  await ensureOutbox(egressNc);
  await ensureWorkQueue(runnerNc);

  // The signing key is read from the store when a batch is signed (kept at most a minute), not held from here.
  const egress = createEgress({
    nc: egressNc,
    tenant: env.TENANT_ID,
    key: signingKeySource(secrets, key.kid),
    seq: createSeqCounter(join(stateDir, 'egress.seq')),
    log,
  });
  // Every batch the hub acknowledged is appended to the local audit chain before the outbox ack.
  const audit = openAuditLog(auditLogPath(stateDir));
  running.defer(() => audit.close());
  const onForwarded = async (f: Forwarded) => {
    audit.record(f);
    await deps.onForwarded?.(f);
  };
  const forwarder = await startForwarder({ nc: egressNc, tenant: env.TENANT_ID, log, onForwarded });
  running.defer(() => forwarder.stop());
  // At stop, pending events are flushed to the outbox before the forwarder stops: forwarded now if the
  // hub is reachable, kept across the restart if not.
  running.defer(() => egress.close().catch((err) => log.error({ err }, 'egress flush at stop failed')));

  const llm = createGateway(env, checked.llm, secrets, log, (event) => egress.emit('usage', event), agentTokenSource(env, secrets));
  running.defer(() => llm.close(), 2000);
  const commands = await createCommandExecution({
    sandbox: env.SANDBOX,
    stateDir,
    log,
    guard: deps.runtime?.guard,
    runner: deps.runtime?.commandRunner,
  });
  // Whatever command outlived its run (the drain timed out) is killed with its process group.
  running.defer(() => commands.dispose());
  if (commands.runner.sandbox === 'none') {
    log.warn('no command sandbox on this machine: commands that run repository code need a person’s approval');
  }
  const inputs = createRunInputs({ db, backend: secrets });
  // Secret inputs of runs that never came are deleted once they expire (here, at each start).
  const expired = await inputs.discardExpired().catch((err) => log.warn({ err }, 'could not discard expired run inputs'));
  if (expired) log.info({ expired }, 'discarded the secret values of expired run inputs');
  // Asks wait as pending approvals in the database, decided through the local API or `npm run approvals`.
  const storedBroker = deps.runtime?.broker ? undefined : createStoredBroker({ db, environments, log });
  const memory = createMemory({ db, config: memoryConfigOf(env), log, tenant: env.TENANT_ID, llmIdentity: llmIdentityOf(env) });
  const runner = await startRunner({
    nc: runnerNc,
    db,
    ledger: createRunLedger(db),
    tenant: env.TENANT_ID,
    repos: env.REPOS,
    workspaceDir: mkdirp(join(stateDir, 'workspaces')),
    llm,
    // Workflow/step durations, errors and tokens become OTEL metrics as the runner reports them.
    events: createRunnerMetrics(metrics.getMeter('agentplane.runner')).observing(egress),
    catalog,
    templates,
    environments,
    guard: commands.guard,
    runner: commands.runner,
    broker: deps.runtime?.broker ?? storedBroker!,
    syntax: commands.syntax,
    fetch: deps.runtime?.fetch,
    secrets: {
      provider: createSecretsProvider(secrets),
      scopeFor: deps.runtime?.secretScope,
      own: () => ownSecretsForMasking(env, secrets),
      masking: deps.masking ?? createSecretMasking(),
    },
    inputs,
    clock: Date.now,
    log,
    memory,
    concurrency: env.RUNNER_CONCURRENCY,
    maxParallelSteps: env.RUNNER_STEP_PARALLELISM,
    ackWaitMs: env.RUNNER_ACK_WAIT_MS,
    maxDeliver: env.RUNNER_MAX_DELIVER,
    reportIntervalMs: env.RUNNER_REPORT_INTERVAL_MS,
  });
  // Runs in flight finish first (ECS gives the task its stop timeout).
  running.defer(() => runner.stop(), 110_000);
  // Unwound before the runner's stop: runs waiting on a person are given back to the work queue (their
  // approvals stay pending, the next runner waits on them) instead of holding the stop.
  if (storedBroker) running.defer(() => storedBroker.close());
  const localApi =
    env.LOCAL_API_PORT === undefined
      ? undefined
      : await startLocalApiWithSecret({ host: env.LOCAL_API_HOST, port: env.LOCAL_API_PORT, db, environments, secrets, log });
  if (localApi) running.defer(() => localApi.close());
  else log.info('LOCAL_API_PORT not set: no local API; decide approvals with `npm run approvals`');
  const consoleServer =
    env.CONSOLE_PORT === undefined
      ? undefined
      : await startConsoleForPlane({ env, db, environments, memory, secrets, auditLogPath: auditLogPath(stateDir), log });
  if (consoleServer) running.defer(() => consoleServer.close());
  // Intake last: dispatches are taken only once a runner is there, and refused first at stop.
  const intake = startIntake({ nc: runnerNc, tenant: env.TENANT_ID, log });
  running.defer(() => intake.sub.unsubscribe());
  await runnerNc.flush();

  return {
    egress,
    memory,
    kid: key.kid,
    /** The local API's base URL, when LOCAL_API_PORT is set. */
    localApiUrl: localApi?.url,
    /** The console's base URL, when CONSOLE_PORT is set. */
    consoleUrl: consoleServer?.url,
    intakeStats: intake.stats,
    /** Stops everything, newest first: intake, the runs in flight, LLM client, forwarder, egress, NATS, the leaf. */
    stop: () => running.unwind(),
  };
}

/**
 * The given Postgres (checked, so a first run names what is missing), or without DATABASE_URL an
 * embedded one in the state dir, stopped when the plane stops or fails to start.
 */
async function openDatabase(
  url: string | undefined,
  stateDir: string,
  log: Logger,
  running: CleanupStack,
  password: DbPassword | undefined,
): Promise<string> {
  if (url) {
    await checkDatabase(url, 'DATABASE_URL', password);
    return url;
  }
  const embedded = await startEmbeddedPostgres({ stateDir, database: 'agentplane', log });
  running.defer(() => embedded.stop(), 15_000);
  return embedded.url;
}

async function closeConnection(nc: NatsConnection): Promise<void> {
  await settleWithin(nc.drain(), 5000);
  if (!nc.isClosed()) await settleWithin(nc.close(), 1000);
}

function mkdirp(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Which models answer the tiers: memory keys model turns on it, so a changed model map reuses nothing. */
function llmIdentityOf(env: CustomerPlaneEnv): string {
  if (env.LLM_MODE === 'routed') return `routed:${env.CONTROL_PLANE_URL}`;
  return `direct:${createHash('sha256').update(JSON.stringify(DEFAULT_MODEL_MAP)).digest('hex')}`;
}

function createGateway(
  env: CustomerPlaneEnv,
  credentials: LlmCredentials,
  secrets: SecretStore,
  log: Logger,
  emitUsage: (event: UsageCounter) => unknown,
  agentToken: () => Promise<string>,
): RunnerLlm {
  if (credentials.mode === 'routed') {
    log.info('LLM_MODE=routed: LLM calls go through the control plane proxy');
    // The token is read at each call (from the environment, or the store), so it can be rotated in place.
    return createRoutedLlm({ controlPlaneUrl: env.CONTROL_PLANE_URL, agentToken });
  }
  // The keys are read from the store at each call (a rotated key is used by the next one), or given by the environment.
  const providers: Parameters<typeof createLlmGateway>[0]['providers'] = {};
  if (credentials.openai)
    providers.openai = {
      apiKey: llmKeySource(env.OPENAI_API_KEY, secrets, 'openai-api-key'),
      baseURL: env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1',
    };
  if (credentials.anthropic)
    providers.anthropic = {
      apiKey: llmKeySource(env.ANTHROPIC_API_KEY, secrets, 'anthropic-api-key'),
      baseURL: env.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com',
    };
  // Routed calls are counted by the vendor's proxy; direct calls report their counts here.
  return withUsageReporting(createLlmGateway({ providers, log }), emitUsage);
}
