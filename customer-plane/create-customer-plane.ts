import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../shared/log.ts';
import { ConfigError } from '../shared/errors.ts';
import { subjects } from '../shared/subjects.ts';
import { settleWithin } from '../shared/settle-within.ts';
import { createLlmGateway } from '../shared/llm/index.ts';
import type { AgentName, TemplateName } from '../shared/boundary.ts';
import { createDb } from '../shared/db/pool.ts';
import { CATALOG } from '../agents/catalog/index.ts';
import { TEMPLATE_DEFINITIONS } from '../agents/templates/index.ts';
import type { AgentDefinition, WorkflowTemplate } from '../agents/types.ts';
import { createRejectingBroker, type ApprovalBroker } from './gate/approval-broker.ts';
import type { CommandGuard, CommandRunner } from './guard/types.ts';
import type { RunnerLlm } from './llm/types.ts';
import { createRoutedLlm } from './llm/routed-client.ts';
import { withUsageReporting } from './llm/usage-reporter.ts';
import type { UsageCounter } from '../shared/boundary.ts';
import type { CustomerPlaneEnv } from './config.ts';
import { createFileSecretStore } from './secrets/file-store.ts';
import { createAwsSecretStore } from './secrets/aws-store.ts';
import type { SecretStore } from './secrets/store.ts';
import { ensureEnrolled } from './enroll.ts';
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

/**
 * What a test or an operator's build may put in place of the defaults: the agent catalog and templates,
 * the command guard and runner (default: the tree-sitter-bash guard and the sandboxed argv runner), the
 * approval broker (default: reject every ask) and the fetch used by an approved fetch_url.
 */
export type RuntimeOverrides = {
  catalog?: Partial<Record<AgentName, AgentDefinition>>;
  templates?: Partial<Record<TemplateName, WorkflowTemplate>>;
  guard?: CommandGuard;
  commandRunner?: CommandRunner;
  broker?: ApprovalBroker;
  fetch?: typeof fetch;
};

/** Wires the customer plane; `main.ts` only parses env and handles signals. */
export async function createCustomerPlane(deps: {
  env: CustomerPlaneEnv;
  log: Logger;
  secrets?: SecretStore;
  onForwarded?: (f: Forwarded) => void | Promise<void>;
  runtime?: RuntimeOverrides;
}) {
  const { env, log } = deps;
  // The ledger first: a plane that cannot record its runs must not take work.
  await migrateLedger({ databaseUrl: env.DATABASE_URL, log });
  const db = createDb({ databaseUrl: env.DATABASE_URL, max: env.RUNNER_CONCURRENCY * 2 + 4 });
  const stateDir = resolve(env.STATE_DIR);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const secrets = deps.secrets ?? selectSecretStore(env, stateDir, log);
  const { key, leaf } = await ensureEnrolled({
    secrets,
    tenant: env.TENANT_ID,
    controlPlaneUrl: env.CONTROL_PLANE_URL,
    enrollToken: env.ENROLL_TOKEN,
    log,
  });

  const stoppers: Array<() => Promise<void>> = [];
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
    });
    stoppers.push(() => embedded.process.stop());
    natsUrl = embedded.natsUrl;
    logins = embedded.logins;
    log.info({ natsUrl }, 'LEAF_NATS_URL not set: using an embedded nats-server leaf (loopback only, dials out to the hub)');
  } else {
    const stored = await secrets.get('local-nats-logins');
    if (!stored)
      throw new ConfigError('customer-plane', [
        'with LEAF_NATS_URL set, the secret `local-nats-logins` must hold the egress and runner logins',
      ]);
    logins = JSON.parse(stored) as LocalLogins;
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
  const runnerNc: NatsConnection = await connect({
    servers: natsUrl,
    user: logins.runner.user,
    pass: logins.runner.password,
    name: 'runner',
    maxReconnectAttempts: -1,
  });
  await ensureOutbox(egressNc);
  await ensureWorkQueue(runnerNc);

  const egress = createEgress({ nc: egressNc, tenant: env.TENANT_ID, key, seq: createSeqCounter(join(stateDir, 'egress.seq')), log });
  // Every batch the hub acknowledged is appended to the local audit chain before the outbox ack.
  const audit = openAuditLog(auditLogPath(stateDir));
  const onForwarded = async (f: Forwarded) => {
    audit.record(f);
    await deps.onForwarded?.(f);
  };
  const forwarder = await startForwarder({ nc: egressNc, tenant: env.TENANT_ID, log, onForwarded });

  const llm = await createGateway(env, secrets, log, (event) => egress.emit('usage', event));
  const intake = startIntake({ nc: runnerNc, tenant: env.TENANT_ID, log });
  const commands = await createCommandExecution({
    sandbox: env.SANDBOX,
    stateDir,
    log,
    guard: deps.runtime?.guard,
    runner: deps.runtime?.commandRunner,
  });
  if (commands.runner.sandbox === 'none') {
    log.warn('no command sandbox on this machine: commands that run repository code need a person’s approval');
  }
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
    catalog: deps.runtime?.catalog ?? CATALOG,
    templates: deps.runtime?.templates ?? TEMPLATE_DEFINITIONS,
    guard: commands.guard,
    runner: commands.runner,
    broker: deps.runtime?.broker ?? createRejectingBroker(),
    syntax: commands.syntax,
    fetch: deps.runtime?.fetch,
    clock: Date.now,
    log,
    concurrency: env.RUNNER_CONCURRENCY,
    maxParallelSteps: env.RUNNER_STEP_PARALLELISM,
    ackWaitMs: env.RUNNER_ACK_WAIT_MS,
    maxDeliver: env.RUNNER_MAX_DELIVER,
  }).catch((err: unknown) => {
    commands.dispose();
    throw err;
  });
  await runnerNc.flush();

  return {
    egress,
    kid: key.kid,
    intakeStats: intake.stats,
    async stop(): Promise<void> {
      intake.sub.unsubscribe();
      // Runs in flight finish first (ECS gives the task its stop timeout); then pending events are
      // flushed to the outbox, which keeps them across the restart if the hub is not reachable now.
      await settleWithin(runner.stop(), 110_000);
      // Whatever command outlived its run (the drain timed out) is killed with its process group.
      commands.dispose();
      await settleWithin(
        egress.close().catch((err) => log.error({ err }, 'egress flush at stop failed')),
        5000,
      );
      await settleWithin(forwarder.stop(), 5000);
      audit.close();
      await settleWithin(llm.close(), 2000);
      await settleWithin(db.end(), 5000);
      await settleWithin(runnerNc.drain(), 5000);
      await settleWithin(egressNc.drain(), 5000);
      for (const nc of [runnerNc, egressNc]) if (!nc.isClosed()) await settleWithin(nc.close(), 1000);
      for (const stop of stoppers.reverse()) await settleWithin(stop(), 10_000);
    },
  };
}
export type CustomerPlane = Awaited<ReturnType<typeof createCustomerPlane>>;

function mkdirp(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function selectSecretStore(env: CustomerPlaneEnv, stateDir: string, log: Logger): SecretStore {
  if (env.SECRETS_BACKEND === 'aws') {
    return createAwsSecretStore({ prefix: env.AWS_SECRETS_PREFIX, region: env.AWS_REGION, endpoint: env.AWS_SECRETS_ENDPOINT });
  }
  const path = join(stateDir, 'secrets.json');
  log.info({ path }, 'SECRETS_BACKEND=file: secrets kept in a 0600 file under the state dir');
  return createFileSecretStore(path);
}

async function createGateway(
  env: CustomerPlaneEnv,
  secrets: SecretStore,
  log: Logger,
  emitUsage: (event: UsageCounter) => unknown,
): Promise<RunnerLlm> {
  if (env.LLM_MODE === 'routed') {
    const agentToken = env.AGENT_TOKEN ?? (await secrets.get('agent-token'));
    if (!agentToken)
      throw new ConfigError('customer-plane', [
        'missing required variable(s): AGENT_TOKEN (or the `agent-token` secret) for LLM_MODE=routed',
      ]);
    log.info('LLM_MODE=routed: LLM calls go through the control plane proxy');
    return createRoutedLlm({ controlPlaneUrl: env.CONTROL_PLANE_URL, agentToken });
  }
  const openaiKey = env.OPENAI_API_KEY ?? (await secrets.get('openai-api-key'));
  const anthropicKey = env.ANTHROPIC_API_KEY ?? (await secrets.get('anthropic-api-key'));
  const providers: Parameters<typeof createLlmGateway>[0]['providers'] = {};
  if (openaiKey) providers.openai = { apiKey: openaiKey, baseURL: env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1' };
  if (anthropicKey) providers.anthropic = { apiKey: anthropicKey, baseURL: env.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com' };
  if (!openaiKey && !anthropicKey) {
    throw new ConfigError('customer-plane', [
      'missing required variable(s): OPENAI_API_KEY or ANTHROPIC_API_KEY (or the matching secrets) for direct LLM mode',
    ]);
  }
  // Routed calls are counted by the vendor's proxy; direct calls report their counts here.
  return withUsageReporting(createLlmGateway({ providers, log }), emitUsage);
}
