import type { DbInstance } from '@cdktf/provider-aws/lib/db-instance/index.js';
import { TerraformLocal } from 'cdktf';
import type { Cluster } from './compute.ts';
import type { StackContext } from './context.ts';
import { DB_NAME, DB_USER, RDS_CA_BUNDLE_PATH } from './databases.ts';
import type { Secrets } from './secrets.ts';
import { PORTS } from './security-groups.ts';

// The customer plane's environment, by the names its config schema reads (customer-plane/config.ts).
// test/unit/terraform/plane-env.test.ts parses the synthesized task definition with that schema, so a
// variable the plane starts to require, or one it no longer reads, fails there.

/** STATE_DIR: the EFS state access point (leaf JetStream store, egress sequence, audit log, workspaces). */
export const STATE_DIR = '/state';
/** The read-only repositories mount; every REPOS path is below it. */
export const REPOS_DIR = '/repos';
/**
 * Where the image's entrypoint writes the console's certificate and key (from AGENTPLANE_CONSOLE_TLS_CERT
 * and _KEY) before it starts the plane: a task-local scratch directory, never the image or EFS, under
 * /run, which the command sandbox hides from agents' commands.
 */
export const RUNTIME_DIR = '/run/agentplane';
export const CONSOLE_TLS_CERT_FILE = `${RUNTIME_DIR}/console-tls.crt`;
export const CONSOLE_TLS_KEY_FILE = `${RUNTIME_DIR}/console-tls.key`;

/**
 * Variables the runner image's entrypoint reads (image contract, terraform/README.md), not the plane: the
 * console's TLS pair, written to CONSOLE_TLS_*_FILE and removed from the environment before the plane
 * starts. The entrypoint also sets CONSOLE_HOST to the task's private IPv4 (ECS task metadata), because
 * the plane listens only on a concrete address, never a wildcard, and Fargate assigns it at launch.
 */
export const ENTRYPOINT_VARIABLES = ['AGENTPLANE_CONSOLE_TLS_CERT', 'AGENTPLANE_CONSOLE_TLS_KEY'] as const;

export interface PlaneEnvironment {
  environment: Record<string, string>;
  /** Added with the console on. */
  console: Record<string, string>;
}

export function planeEnvironment(ctx: StackContext, d: { db: DbInstance; secrets: Secrets; cluster: Cluster }): PlaneEnvironment {
  const { vars } = ctx;
  // alias=/repos/path pairs, comma-separated; format() instead of a nested template keeps the HCL flat.
  const repos = new TerraformLocal(ctx.scope, 'plane_repos', '${join(",", [for k, v in var.repos : format("%s=%s", k, v)])}');
  // No password in the URL: the plane reads it from the RDS-managed secret DATABASE_PASSWORD_SECRET names
  // at each new connection (RDS rotates it; no restart needed). TLS with the
  // server's certificate and host name verified against the RDS CA bundle the image ships; RDS refuses
  // plaintext anyway (rds.force_ssl).
  const databaseUrl = `postgres://${DB_USER}@${d.db.address}:${d.db.port}/${DB_NAME}?sslmode=verify-full&sslrootcert=${RDS_CA_BUNDLE_PATH}`;
  return {
    environment: {
      TENANT_ID: vars.tenantId.stringValue,
      CONTROL_PLANE_URL: vars.controlPlaneUrl.stringValue,
      DATABASE_URL: databaseUrl,
      DATABASE_PASSWORD_SECRET: d.db.masterUserSecret.get(0).secretArn,
      STATE_DIR,
      SECRETS_BACKEND: 'aws',
      AWS_SECRETS_PREFIX: d.secrets.prefix,
      AWS_REGION: ctx.region,
      REPOS: repos.asString,
      LLM_MODE: vars.llmMode.stringValue,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://${d.cluster.otelHost}:${PORTS.otlpHttp}`,
      // auto: bubblewrap where the platform lets it create namespaces, else none (and the gate asks before
      // repository code runs). On Fargate expect none; see terraform/README.md.
      SANDBOX: 'auto',
      RUNNER_CONCURRENCY: vars.runnerConcurrency.stringValue,
    },
    console: {
      CONSOLE_PORT: String(PORTS.console),
      CONSOLE_TLS_CERT_FILE,
      CONSOLE_TLS_KEY_FILE,
      CONSOLE_HOSTNAMES: d.cluster.consoleHost,
    },
  };
}
