import { statSync } from 'node:fs';
import { z } from 'zod';
import { EVEN_WITH_OTHER_PROBLEMS, port } from '../shared/config.ts';
import { REPO_ALIAS_RE } from '../shared/dispatch.ts';
import { memoryEnvShape } from './memory/config.ts';
import { isLoopback } from './console/api/loopback.ts';
import { consoleEnvShape, consoleTlsRule } from './console/config.ts';

/** Where the plane's secret store is; shared with the `secrets` and `runs inputs` CLIs. */
const secretStoreFields = {
  /** Local state: secrets file (embedded default), leaf JetStream store, audit log, workspaces. */
  STATE_DIR: z.string().default('.state/customer-plane'),
  /** `file` (0600 file under STATE_DIR, the embedded default) or `aws` (AWS Secrets Manager). */
  SECRETS_BACKEND: z.enum(['file', 'aws']).default('file'),
  /** With SECRETS_BACKEND=aws: the name prefix of this stack's secrets, e.g. `agentplane/<tenant>/`. */
  AWS_SECRETS_PREFIX: z.string().default('agentplane/'),
  /** With SECRETS_BACKEND=aws: region of the secrets. */
  AWS_REGION: z.string().optional(),
  /** With SECRETS_BACKEND=aws: endpoint override (VPC endpoint or a local fake). */
  AWS_SECRETS_ENDPOINT: z.string().url().optional(),
};

/** The Secrets Manager secret (ARN or name) whose JSON `password` is the database login's: see databasePasswordRule. */
export const databasePasswordSecretField = z
  .string()
  .max(2048)
  .regex(/^[\x21-\x7e]+$/, 'a Secrets Manager secret ARN or name')
  .optional();

/**
 * DATABASE_PASSWORD_SECRET names the password of DATABASE_URL's login, read at each new connection (a
 * rotated password needs no restart): it needs that URL, one without a password of its own (two
 * passwords, and the one used would be a guess), and a region to find the secret in.
 */
export function databasePasswordRule(
  env: { DATABASE_PASSWORD_SECRET?: string; DATABASE_URL?: string; AWS_REGION?: string },
  ctx: z.RefinementCtx,
): void {
  if (env.DATABASE_PASSWORD_SECRET === undefined) return;
  const path = ['DATABASE_PASSWORD_SECRET'];
  if (env.DATABASE_URL === undefined)
    ctx.addIssue({ code: 'custom', path, message: 'requires DATABASE_URL (the embedded Postgres keeps its own password)' });
  else if (urlHasPassword(env.DATABASE_URL))
    ctx.addIssue({
      code: 'custom',
      path,
      message: 'requires a DATABASE_URL without a password in it: the password is read from the secret',
    });
  if (env.AWS_REGION === undefined)
    ctx.addIssue({ code: 'custom', path: ['AWS_REGION'], message: 'required with DATABASE_PASSWORD_SECRET' });
}

function urlHasPassword(url: string): boolean {
  // A URL the WHATWG parser cannot read is left to pg's own parser and the first connect, which names it.
  return URL.canParse(url) && new URL(url).password !== '';
}

// README promises it; without it the SDK looks for a region elsewhere and fails only at the first read.
function awsNeedsRegion(env: { SECRETS_BACKEND: string; AWS_REGION?: string }, ctx: z.RefinementCtx): void {
  if (env.SECRETS_BACKEND === 'aws' && env.AWS_REGION === undefined) {
    ctx.addIssue({ code: 'custom', path: ['AWS_REGION'], message: 'required with SECRETS_BACKEND=aws' });
  }
}

/**
 * The customer plane's environment. Secrets have no defaults; absent service URLs select embedded
 * defaults. Rules that need the secret store (LLM keys and the agent token may live there) are
 * checked right after, still before anything starts: see preflight.ts.
 */
export const customerPlaneEnvSchema = z
  .object({
    /** This customer's tenant id (UUID), given by the vendor with the enrollment token. */
    TENANT_ID: z.string().uuid(),
    /** The control plane's base URL with its scheme (https://…; http:// for a control plane on this machine): enrollment, routed LLM mode. */
    CONTROL_PLANE_URL: z
      .string()
      .url()
      .refine((u) => /^https?:\/\/[^/]/.test(u), 'expected an http:// or https:// URL, e.g. https://control.example.com'),
    /** Secret, one-time: needed only at first start, before this plane has a key and a leaf login. */
    ENROLL_TOKEN: z.string().optional(),
    /**
     * The customer plane's own Postgres (in production the RDS instance the Terraform stack creates): the
     * run ledger and run records, in the `runtime` schema. Unset = an embedded Postgres in STATE_DIR/postgres.
     */
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
      .optional(),
    /**
     * The AWS Secrets Manager secret (ARN or name) holding DATABASE_URL's password as JSON `{"password": …}`
     * (RDS's own secret for its master user), read at each new connection so a rotation needs no restart.
     * Needs DATABASE_URL without a password and AWS_REGION; AWS_SECRETS_ENDPOINT applies. Unset = the URL's password.
     */
    DATABASE_PASSWORD_SECRET: databasePasswordSecretField,
    ...secretStoreFields,
    /** Repositories agents may work on: `alias=/absolute/path` pairs separated by commas. */
    REPOS: z
      .string()
      .default('')
      .transform((s, ctx) => parseRepos(s, ctx)),
    /** The leaf node's client URL; unset = start an embedded nats-server leaf on loopback. */
    LEAF_NATS_URL: z.string().url().optional(),
    /** Port of the embedded leaf's HTTP monitor (loopback only); unset = no monitor. */
    LEAF_MONITOR_PORT: port().optional(),
    /** CA bundle that signed the hub's leafnode certificate, when the system's trust store does not hold it. */
    LEAF_HUB_CA_FILE: z.string().optional(),
    /** nats-server version the generated leaf config targets (settings newer than it are left out). */
    NATS_SERVER_VERSION: z
      .string()
      .regex(/^\d+\.\d+(\.\d+)?$/)
      .optional(),
    /** `direct` (default: this plane calls providers with the customer's keys; only token counts cross) or `routed` (calls the control plane's proxy). */
    LLM_MODE: z.enum(['direct', 'routed']).default('direct'),
    /** Secret, routed mode only: the `agent` token for the control plane's proxy; may instead live in the secret store as `agent-token`. */
    AGENT_TOKEN: z.string().optional(),
    /** OpenAI-compatible base URL for direct mode (the customer's own account). */
    OPENAI_BASE_URL: z.string().url().optional(),
    /** Secret: OpenAI key for direct mode; may instead live in the secret store as `openai-api-key`. */
    OPENAI_API_KEY: z.string().optional(),
    /** Anthropic base URL for direct mode (failover target). */
    ANTHROPIC_BASE_URL: z.string().url().optional(),
    /** Secret: Anthropic key for direct mode; may instead live in the secret store as `anthropic-api-key`. */
    ANTHROPIC_API_KEY: z.string().optional(),
    /**
     * The customer's own OpenTelemetry collector (OTLP/HTTP base URL, e.g. http://otel.internal:4318).
     * Full-fidelity metrics and traces go there only; unset = no OTLP export at all. The vendor gets
     * nothing from this pipeline: only closed-list metric points cross, signed, through egress.
     */
    OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
    /** How often metric points are reduced to boundary events and handed to egress (ms). */
    BOUNDARY_METRICS_INTERVAL_MS: z.coerce.number().int().min(200).max(3_600_000).default(30_000),
    /**
     * How agent commands are isolated: `auto` (bubblewrap when it can start here, else none), `bwrap`
     * (refuse to start without it), `none` (no sandbox: commands that run repository code need approval).
     */
    SANDBOX: z.enum(['auto', 'bwrap', 'none']).default('auto'),
    /** Workflows run at once by this runner. */
    RUNNER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
    /** Steps of one workflow run at once (steps that only read; a step that writes runs alone). */
    RUNNER_STEP_PARALLELISM: z.coerce.number().int().min(1).max(16).default(3),
    /** How long a runner may go without a heartbeat before its run is handed to another runner (ms). */
    RUNNER_ACK_WAIT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
    /** Deliveries of a run's work before it ends failed with `delivery_exhausted`. */
    RUNNER_MAX_DELIVER: z.coerce.number().int().min(1).max(100).default(3),
    /**
     * The named environments (JSON or YAML, see README): each one's secret scope, templates, approval
     * deadlines, write policy and (production) reviewed templates. Unset = sandbox, preview and production
     * with their defaults. Checked at start: a malformed file stops the plane naming every problem.
     */
    ENVIRONMENTS_FILE: z.string().optional(),
    /** Port of the local API (approvals, environments; loopback only, the local admin secret). Unset = no local API: decide with `npm run approvals`. 0 = any free port. */
    LOCAL_API_PORT: port().optional(),
    /** Loopback address the local API listens on. */
    LOCAL_API_HOST: z.string().default('127.0.0.1').refine(isLoopback, 'a loopback address (127.x.x.x or ::1)'),
    /** The local web console (customer-plane/console/config.ts): off unless CONSOLE_PORT is set. */
    ...consoleEnvShape,
    /** How often a running workflow is reported to the control plane (a heartbeat: its id and a time), ms. */
    RUNNER_REPORT_INTERVAL_MS: z.coerce.number().int().min(200).max(3_600_000).default(60_000),
    /** pino level. */
    LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    /** Agent memory and the autonomy thresholds (customer-plane/memory/config.ts). */
    ...memoryEnvShape,
  })
  .superRefine(awsNeedsRegion, EVEN_WITH_OTHER_PROBLEMS)
  .superRefine(databasePasswordRule, EVEN_WITH_OTHER_PROBLEMS)
  .superRefine(consoleTlsRule, EVEN_WITH_OTHER_PROBLEMS);
export type CustomerPlaneEnv = z.infer<typeof customerPlaneEnvSchema>;

/** What the secrets and inputs CLIs need: where the secret store is. */
export const secretStoreEnvSchema = z.object(secretStoreFields).superRefine(awsNeedsRegion, EVEN_WITH_OTHER_PROBLEMS);

function parseRepos(s: string, ctx: z.RefinementCtx): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = pair.indexOf('=');
    const alias = pair.slice(0, eq);
    const path = pair.slice(eq + 1);
    if (eq < 1 || !REPO_ALIAS_RE.test(alias) || !path.startsWith('/')) {
      ctx.addIssue({ code: 'custom', message: 'expected alias=/absolute/path pairs (alias: lowercase, digits, dashes)' });
      return out;
    }
    // A repository that is not there would fail every run on it with repo_not_found: refuse at start.
    if (!isDirectory(path)) {
      ctx.addIssue({ code: 'custom', message: `the path of "${alias}" is not a directory on this machine` });
      return out;
    }
    out[alias] = path;
  }
  return out;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
