import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js';
import { conditional, Fn, Op, ref, TerraformCount, TerraformLocal, TerraformStack, Token } from 'cdktf';
import { arn, type StackContext } from './context.ts';

// The customer plane keeps its own secrets in Secrets Manager under one name prefix (SECRETS_BACKEND=aws,
// AWS_SECRETS_PREFIX = "<name prefix>/"), each under the fixed name the code reads it by
// (customer-plane/secrets/store.ts). The stack creates them empty, encrypted with the data key: the plane
// writes its signing key and leaf login at enrollment, the customer puts LLM keys and the enrollment
// token. No value passes through Terraform state, plans or CI logs.

/** Names the plane reads its own secrets by (SecretName in customer-plane/secrets/store.ts). */
export const PLANE_SECRET_NAMES = [
  'tenant-signing-key',
  'leaf-credentials',
  'openai-api-key',
  'anthropic-api-key',
  'agent-token',
  'local-nats-logins',
] as const;
export type PlaneSecretName = (typeof PLANE_SECRET_NAMES)[number];

/** What the plane writes itself: its signing key before it enrolls, the leaf login it gets back. */
export const PLANE_WRITES: readonly PlaneSecretName[] = ['tenant-signing-key', 'leaf-credentials'];

/**
 * Secret scopes of the environments the deployed plane runs (the built-in sandbox, preview and
 * production: ENVIRONMENTS_FILE is not set by the stack). A run reads `<prefix><scope><NAME>`.
 */
export const ENVIRONMENT_SECRET_SCOPES = ['sandbox/', 'preview/', 'production/'] as const;

/** Where a run's secret inputs live (`run-inputs/<id>/<NAME>`): put by the `runs inputs` CLI, read and deleted by the plane. */
export const RUN_INPUTS_SCOPE = 'run-inputs/';

const DESCRIPTIONS: Record<PlaneSecretName, string> = {
  'tenant-signing-key':
    "The tenant's Ed25519 private key (JWK) that signs every message sent up to the vendor. Written by the plane at its first start; never leaves the account.",
  'leaf-credentials': "The leaf's hub login (JSON url, username, password), written by the plane when it enrolls.",
  'openai-api-key': 'llm_mode = "direct": your OpenAI API key (plain string). Put at least one provider key.',
  'anthropic-api-key': 'llm_mode = "direct": your Anthropic API key (plain string), the failover target.',
  'agent-token': 'llm_mode = "routed": the agent token the vendor issued for its LLM proxy.',
  'local-nats-logins':
    "Unused with the plane's embedded leaf; kept empty. The plane reads it at each run's start to mask its values, and an empty secret answers that read.",
};

export interface Secrets {
  /** The AWS_SECRETS_PREFIX the plane is started with: "<name prefix>/". */
  prefix: string;
  plane: Record<PlaneSecretName, SecretsmanagerSecret>;
  /** The one-time enrollment token, injected as ENROLL_TOKEN by ECS (the code reads it from its environment only). */
  enrollToken: SecretsmanagerSecret;
  /** Present only with the console on (console_allowed_cidrs not empty); reference through `consoleAdminArns`. */
  consoleAdmin: SecretsmanagerSecret;
  /** ARNs of the console's `local-admin-secret` (a list of zero or one). */
  consoleAdminArns: string[];
  /**
   * The console's TLS certificate chain and private key (PEM), with the console on: injected by ECS for
   * the image's entrypoint, which writes them to the files CONSOLE_TLS_*_FILE name (image contract).
   * `arn` is "" with the console off; `arns` a list of zero or one.
   */
  consoleTlsCert: { arn: string; arns: string[] };
  consoleTlsKey: { arn: string; arns: string[] };
  /** ARN patterns of the secrets runs read by reference, one per environment scope. */
  scopeArnPatterns: string[];
  /** ARN pattern of runs' secret inputs. */
  runInputsArnPattern: string;
}

// A short recovery window: a destroyed and re-created stack can reuse the names after a week, while an
// accidental destroy still leaves a week to restore the values.
const RECOVERY_WINDOW_DAYS = 7;

export function createSecrets(ctx: StackContext, dataKeyArn: string): Secrets {
  const { scope, name } = ctx;
  const prefix = `${name}/`;
  const secret = (id: string, suffix: string, description: string, extra: { count?: TerraformCount } = {}) =>
    new SecretsmanagerSecret(scope, id, {
      name: `${prefix}${suffix}`,
      description,
      kmsKeyId: dataKeyArn,
      recoveryWindowInDays: RECOVERY_WINDOW_DAYS,
      count: extra.count,
    });

  const plane = {} as Record<PlaneSecretName, SecretsmanagerSecret>;
  for (const n of PLANE_SECRET_NAMES) plane[n] = secret(`secret_${n.replace(/-/g, '_')}`, n, DESCRIPTIONS[n]);
  const enrollToken = secret(
    'secret_enroll_token',
    'enroll-token',
    'The one-time enrollment token from the vendor. Put it before the first start; spent after enrollment, then unused.',
  );

  const consoleCount = TerraformCount.of(Token.asNumber(conditional(consoleEnabled(ctx), 1, 0)));
  const consoleAdmin = secret(
    'secret_local_admin_secret',
    'local-admin-secret',
    "The local console's admin secret (what its login checks). Generated by the plane at its first start with the console on; read it here.",
    { count: consoleCount },
  );
  const arnsOf = (r: SecretsmanagerSecret) =>
    Token.asList(ref(`${r.terraformResourceType}.${r.friendlyUniqueId}[*].arn`, TerraformStack.of(scope)));
  const consoleAdminArns = arnsOf(consoleAdmin);
  const optional = (id: string, suffix: string, description: string) => {
    const arns = arnsOf(secret(`secret_${id}`, suffix, description, { count: consoleCount }));
    return { arns, arn: new TerraformLocal(scope, `${id}_secret_arn`, Fn.join('', arns)).asString };
  };
  const consoleTlsCert = optional(
    'console_tls_cert',
    'console-tls-cert',
    "The console's TLS certificate chain (PEM) for its name in the VPC (console_hostname output). Put it before the first start with the console on.",
  );
  const consoleTlsKey = optional(
    'console_tls_key',
    'console-tls-key',
    "The private key (PEM) of the console's certificate. Put it before the first start with the console on.",
  );

  // Secret ARNs end in "-" and six random characters; a scope's secrets are created by the customer, so
  // they are named by pattern, under this stack's prefix and the scope only.
  const secretArn = (namePattern: string) => arn(ctx, 'secretsmanager', `secret:${namePattern}`);
  return {
    prefix,
    plane,
    enrollToken,
    consoleAdmin,
    consoleAdminArns,
    consoleTlsCert,
    consoleTlsKey,
    scopeArnPatterns: ENVIRONMENT_SECRET_SCOPES.map((s) => secretArn(`${prefix}${s}*`)),
    runInputsArnPattern: secretArn(`${prefix}${RUN_INPUTS_SCOPE}*`),
  };
}

/** Whether the local web console is on: some private network may reach it (console_allowed_cidrs). */
export function consoleEnabled(ctx: StackContext): boolean {
  // ">= 1", not "> 0": cdktf renders a literal 0 operand as "undefined".
  return Op.gte(Fn.lengthOf(ctx.vars.consoleAllowedCidrs.listValue), 1) as unknown as boolean;
}

/** The ARN list as one HCL expression (for IAM statements that mix fixed ARNs with the console's optional one). */
export function withConsoleAdmin(secrets: Secrets, arns: string[]): string[] {
  return Fn.concat([arns, secrets.consoleAdminArns]);
}

/** Secrets ECS injects into the plane's task, plus the console's TLS pair when the console is on. */
export function withConsoleTls(secrets: Secrets, arns: string[]): string[] {
  return Fn.concat([arns, secrets.consoleTlsCert.arns, secrets.consoleTlsKey.arns]);
}
