// The stack deploys the customer plane as its code expects to be started: the task definition's
// variables are checked against the plane's own config schema (customer-plane/config.ts), so a variable
// the plane starts to require, renames or stops reading fails here until the stack follows; the secret
// names against the names its secret store reads; the grants against the scopes its environments use.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { customerPlaneEnvSchema } from '../../../customer-plane/config.ts';
import { DEFAULT_ENVIRONMENTS } from '../../../customer-plane/environments/defaults.ts';
import { supportsSyncAlways } from '../../../customer-plane/leaf/config.ts';
import { RUN_INPUTS_PREFIX } from '../../../customer-plane/secrets/provider.ts';
import type { SecretName } from '../../../customer-plane/secrets/store.ts';
import { HEALTHCHECK_COMMAND } from '../../../terraform/src/containers.ts';
import { newClient } from '../../../shared/db/password.ts';
import { RDS_CA_BUNDLE_PATH } from '../../../terraform/src/databases.ts';
import { ENTRYPOINT_VARIABLES } from '../../../terraform/src/plane-env.ts';
import { type Block, block, type ContainerDef, containerVariants, loadDist, repoRoot, resources, statements } from './tf-json.ts';

const tf = loadDist();
const task = tf.resource.aws_ecs_task_definition.runner_task_definition;
const variants = Object.fromEntries(containerVariants(task, tf).map((v) => [v.local, v.containers[0]])) as Record<string, ContainerDef>;
const base = variants.runner_container_definitions;
const withConsole = variants.runner_container_definitions_console;

// Variables the plane's process reads that are not in its schema, each with who reads it. None now: the
// database password, once PGPASSWORD (read by pg), is read at connect from DATABASE_PASSWORD_SECRET.
const READ_OUTSIDE_THE_SCHEMA: Record<string, string> = {};

// What a Terraform interpolation stands for at run time, for parsing the task's variables as the plane
// would see them. An interpolation missing here fails the test: say what it becomes.
const repoDir = mkdtempSync(join(tmpdir(), 'agentplane-plane-env-'));
after(() => rmSync(repoDir, { recursive: true, force: true }));
const TENANT = '0b0e7c2a-1d3e-4f5a-8b9c-0d1e2f3a4b5c';
const AT_RUN_TIME: Record<string, string> = {
  'var.tenant_id': TENANT,
  'var.control_plane_url': 'https://control.eu.agentplane.example',
  'var.region': 'eu-west-1',
  'var.llm_mode': 'direct',
  'var.runner_concurrency': String(tf.variable.runner_concurrency.default),
  'local.name': `ap-${TENANT}`,
  // REPOS names directories that must exist: one that does, here.
  'local.plane_repos': `app=${repoDir}`,
  'aws_db_instance.db.address': 'ap-x-metadata.abc.eu-west-1.rds.amazonaws.com',
  'aws_db_instance.db.port': '5432',
  'aws_service_discovery_private_dns_namespace.namespace.name': `ap-${TENANT}.agentplane.internal`,
  'aws_secretsmanager_secret.secret_enroll_token.arn': 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf',
  'aws_db_instance.db.master_user_secret[0].secret_arn': 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds-AbCdEf',
  'local.console_tls_cert_secret_arn': 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:c-AbCdEf',
  'local.console_tls_key_secret_arn': 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:k-AbCdEf',
};
function atRunTime(value: string): string {
  return value.replace(/\$\{([^}]+)\}/g, (_, expr: string) => {
    assert.ok(expr in AT_RUN_TIME, `the test does not know what \${${expr}} becomes at run time`);
    return AT_RUN_TIME[expr];
  });
}

/** The process environment ECS gives the container: its variables, and its secrets as sample values. */
function processEnv(c: ContainerDef, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.environment ?? []) env[e.name] = atRunTime(e.value);
  for (const s of c.secrets ?? []) {
    atRunTime(s.valueFrom);
    env[s.name] = `sample value of ${s.name}`;
  }
  return { ...env, ...extra };
}

/** The names the plane's schema fails without: derived from the schema itself, not listed here. */
function requiredBySchema(): string[] {
  const r = customerPlaneEnvSchema.safeParse({});
  assert.equal(r.success, false);
  return [...new Set(r.error!.issues.map((i) => String(i.path[0])))].sort();
}

const schemaNames = new Set(Object.keys(customerPlaneEnvSchema.shape));
const entrypointNames = new Set<string>(ENTRYPOINT_VARIABLES);

test("the plane's task sets every variable its config schema requires, and the schema accepts what it sets", () => {
  const required = requiredBySchema();
  assert.ok(required.includes('TENANT_ID') && required.includes('CONTROL_PLANE_URL'), `derived: ${required.join(', ')}`);
  for (const [name, c] of Object.entries(variants)) {
    const env = processEnv(c, name === 'runner_container_definitions_console' ? { CONSOLE_HOST: '10.42.3.17' } : {});
    for (const v of required) assert.ok(env[v], `${name} sets ${v}`);
    const parsed = customerPlaneEnvSchema.safeParse(env);
    assert.ok(parsed.success, `${name}: ${JSON.stringify(parsed.error?.issues)}`);
    // What the stack means to select is what the plane reads.
    assert.equal(parsed.data.SECRETS_BACKEND, 'aws');
    assert.equal(parsed.data.AWS_SECRETS_PREFIX, `ap-${TENANT}/`);
    assert.equal(parsed.data.STATE_DIR, '/state');
    assert.equal(parsed.data.LEAF_NATS_URL, undefined, 'the embedded leaf: nothing else holds the outbox and the hub link');
    assert.equal(parsed.data.SANDBOX, 'auto');
    assert.deepEqual(parsed.data.REPOS, { app: repoDir });
  }
});

test('a variable the plane requires that the task leaves out stops the start: this check fails for each one', () => {
  const env = processEnv(base);
  for (const v of requiredBySchema()) {
    const { [v]: _dropped, ...without } = env;
    const r = customerPlaneEnvSchema.safeParse(without);
    assert.equal(r.success, false, `without ${v}`);
    assert.ok(
      r.error!.issues.some((i) => i.path[0] === v),
      `names ${v}`,
    );
  }
});

test('the task sets nothing the plane does not read', () => {
  for (const [name, c] of Object.entries(variants)) {
    for (const n of [...(c.environment ?? []).map((e) => e.name), ...(c.secrets ?? []).map((s) => s.name)]) {
      assert.ok(schemaNames.has(n) || n in READ_OUTSIDE_THE_SCHEMA || entrypointNames.has(n), `${name}: ${n} is read by nothing`);
    }
  }
  // The entrypoint's variables exist only where the console is on.
  for (const n of entrypointNames) assert.ok(!(base.secrets ?? []).some((s) => s.name === n), `${n} only with the console`);
});

test('secrets reach the process only by Secrets Manager reference, and only what the code reads from its environment', () => {
  for (const [name, c] of Object.entries(variants)) {
    const secretNames = (c.secrets ?? []).map((s) => s.name).sort();
    const expected = ['ENROLL_TOKEN', ...(c === withConsole ? ENTRYPOINT_VARIABLES : [])].sort();
    assert.deepEqual(secretNames, expected, name);
    // The plane's own secrets are read from the store at use, never handed to it as variables.
    for (const e of c.environment ?? [])
      assert.ok(
        !['ENROLL_TOKEN', 'AGENT_TOKEN', 'OPENAI_API_KEY', 'ANTHROPIC_API_KEY'].includes(e.name),
        `${name}: ${e.name} as a plain value`,
      );
  }
});

test('the database password is read by the plane at connect from the RDS-managed secret, never injected at start', () => {
  for (const [name, c] of Object.entries(variants)) {
    const env = Object.fromEntries((c.environment ?? []).map((e) => [e.name, e.value]));
    assert.equal(env.DATABASE_PASSWORD_SECRET, '${aws_db_instance.db.master_user_secret[0].secret_arn}', `${name}: the RDS-managed secret`);
    assert.ok(
      !(c.secrets ?? []).some((s) => s.name === 'PGPASSWORD' || s.valueFrom.includes('master_user_secret')),
      `${name}: not injected`,
    );
    const parsed = customerPlaneEnvSchema.parse(processEnv(c, c === withConsole ? { CONSOLE_HOST: '10.42.3.17' } : {}));
    assert.equal(parsed.DATABASE_PASSWORD_SECRET, AT_RUN_TIME['aws_db_instance.db.master_user_secret[0].secret_arn']);
  }
});

test('DATABASE_URL names the RDS database over verified TLS, with no password in it', () => {
  const url = new URL(atRunTime(base.environment!.find((e) => e.name === 'DATABASE_URL')!.value));
  assert.equal(url.protocol, 'postgres:');
  assert.equal(url.hostname, AT_RUN_TIME['aws_db_instance.db.address']);
  assert.equal(url.pathname, `/${tf.resource.aws_db_instance.db.db_name}`);
  assert.equal(url.username, tf.resource.aws_db_instance.db.username);
  assert.equal(url.password, '', 'the password comes from DATABASE_PASSWORD_SECRET (the schema refuses a URL with one beside it)');
  assert.equal(url.searchParams.get('sslmode'), 'verify-full');
  assert.equal(url.searchParams.get('sslrootcert'), RDS_CA_BUNDLE_PATH);
  const params = Object.fromEntries(
    (tf.resource.aws_db_parameter_group.db_params.parameter as Block[]).map((p) => [String(p.name), String(p.value)]),
  );
  assert.equal(params['rds.force_ssl'], '1', 'and the server refuses anything else');
});

test("pg reads that DATABASE_URL as a verified TLS login with the CA bundle, the password from the plane's source", () => {
  const ca = join(repoDir, 'rds-ca.pem');
  writeFileSync(ca, 'test CA bundle\n');
  const url = atRunTime(base.environment!.find((e) => e.name === 'DATABASE_URL')!.value).replace(RDS_CA_BUNDLE_PATH, ca);
  const password = async () => 'password-from-the-rds-secret';
  const client = newClient({ connectionString: url }, password);
  const ssl = (client as unknown as { connectionParameters: { ssl: { ca?: string; rejectUnauthorized?: boolean } } }).connectionParameters
    .ssl;
  assert.equal(ssl.ca, 'test CA bundle\n', 'the CA bundle is the only trust anchor');
  assert.notEqual(ssl.rejectUnauthorized, false, 'certificate verified (Node verifies unless told not to)');
  assert.equal(client.password as unknown, password, "read at login from the source, not the URL's empty password");
  assert.equal(client.user, tf.resource.aws_db_instance.db.username);
});

test('paths the plane is given exist in the task: the state directory writable, repositories read-only, the console files on scratch', () => {
  const mounts = new Map(
    (withConsole as ContainerDef & { mountPoints: { containerPath: string; readOnly: boolean }[] }).mountPoints.map((m) => [
      m.containerPath,
      m,
    ]),
  );
  const env = Object.fromEntries(withConsole.environment!.map((e) => [e.name, e.value]));
  assert.equal(mounts.get(env.STATE_DIR)?.readOnly, false, 'STATE_DIR is a writable mount');
  assert.equal(mounts.get('/repos')?.readOnly, true, 'repositories are mounted read-only');
  for (const f of [env.CONSOLE_TLS_CERT_FILE, env.CONSOLE_TLS_KEY_FILE]) {
    const mount = [...mounts.keys()].find((p) => f.startsWith(`${p}/`));
    assert.ok(mount && mounts.get(mount)?.readOnly === false && mount !== env.STATE_DIR, `${f} is on task-local scratch`);
  }
  // Every REPOS path the variable accepts is below the read-only mount (variables.test.ts runs the validation).
  assert.match(String(block(tf.variable.repos.validation).condition), /\^\/repos\//);
  // The state volume and the repositories volume are the stack's EFS access points of those directories.
  const volumes = Object.fromEntries((task.volume as Block[]).map((v) => [String(v.name), v]));
  const ap = (name: string) => block(block(volumes[name].efs_volume_configuration).authorization_config).access_point_id;
  assert.equal(ap('state'), '${aws_efs_access_point.efs_ap_state.id}');
  assert.equal(ap('repos'), '${aws_efs_access_point.efs_ap_repos.id}');
});

test('the console listens where the security group lets private networks in, under the name its certificate is for', () => {
  const env = Object.fromEntries(withConsole.environment!.map((e) => [e.name, e.value]));
  const rule = tf.resource.aws_vpc_security_group_ingress_rule.ingress_console_from_private_networks;
  assert.equal(String(rule.from_port), env.CONSOLE_PORT);
  assert.ok((withConsole as ContainerDef).portMappings?.some((p) => String(p.containerPort) === env.CONSOLE_PORT));
  assert.equal(env.CONSOLE_HOSTNAMES, `console.\${aws_service_discovery_private_dns_namespace.namespace.name}`);
  assert.equal(
    block(tf.resource.aws_ecs_service.runner_service.service_registries).registry_arn,
    '${aws_service_discovery_service.discovery_console.arn}',
  );
  assert.equal(tf.resource.aws_service_discovery_service.discovery_console.name, 'console');
  assert.ok(!base.environment!.some((e) => e.name.startsWith('CONSOLE_')), 'no console without console_allowed_cidrs');
  assert.match(
    String(task.container_definitions),
    /^\$\{\(length\(var\.console_allowed_cidrs\) >= 1\) \? local\.runner_container_definitions_console : local\.runner_container_definitions\}$/,
  );
});

test('OTLP goes to the collector the stack runs, on the port the security groups open', () => {
  const endpoint = new URL(atRunTime(base.environment!.find((e) => e.name === 'OTEL_EXPORTER_OTLP_ENDPOINT')!.value));
  assert.equal(endpoint.hostname, `otel.${AT_RUN_TIME['aws_service_discovery_private_dns_namespace.namespace.name']}`);
  const rule = tf.resource.aws_vpc_security_group_ingress_rule[`ingress_runner_to_otel_${endpoint.port}`];
  assert.ok(rule, `runner → otel on ${endpoint.port}`);
  assert.equal(String(rule.from_port), endpoint.port);
});

// Every name the plane reads from its secret store (a compile-time list: a new SecretName fails typecheck
// here until it is placed), and the stack secret that answers it.
const STORE_SECRETS: Record<SecretName, string> = {
  'tenant-signing-key': 'secret_tenant_signing_key',
  'leaf-credentials': 'secret_leaf_credentials',
  'openai-api-key': 'secret_openai_api_key',
  'anthropic-api-key': 'secret_anthropic_api_key',
  'agent-token': 'secret_agent_token',
  'local-nats-logins': 'secret_local_nats_logins',
  'local-admin-secret': 'secret_local_admin_secret',
};

test('every secret the plane reads from its store exists under AWS_SECRETS_PREFIX by that name, and its task role may read it', () => {
  const secrets = tf.resource.aws_secretsmanager_secret;
  const grants = statements(tf).filter((s) => s.doc === 'runner_task_policy_doc');
  const readable = JSON.stringify(grants.filter((s) => s.actions.includes('secretsmanager:GetSecretValue')).map((s) => s.resources));
  for (const [name, resource] of Object.entries(STORE_SECRETS)) {
    assert.equal(secrets[resource]?.name, `\${local.name}/${name}`, name);
    assert.ok(readable.includes(`aws_secretsmanager_secret.${resource}`), `${name} readable by the task role`);
  }
});

test("a run's secrets are readable in each environment's scope and in run inputs, under the stack's prefix only", () => {
  const grants = statements(tf).filter((s) => s.doc === 'runner_task_policy_doc');
  const patterns = grants
    .filter((s) => s.actions.includes('secretsmanager:GetSecretValue') && Array.isArray(s.resources))
    .flatMap((s) => s.resources as string[])
    .map((r) => /:secret:\$\{local\.name\}\/(.+)\*$/.exec(r)?.[1])
    .filter(Boolean);
  const scopes = [...DEFAULT_ENVIRONMENTS.map((e) => e.secrets.prefix), RUN_INPUTS_PREFIX];
  assert.deepEqual([...patterns].sort(), [...scopes].sort());
  const deletes = grants.filter((s) => s.actions.includes('secretsmanager:DeleteSecret'));
  assert.deepEqual(
    deletes.flatMap((s) => s.resources as string[]).map((r) => r.replace(/.*:secret:/, '')),
    [`\${local.name}/${RUN_INPUTS_PREFIX}*`],
    'only run inputs are ever deleted',
  );
});

test('the task role writes only what the plane writes itself, and creates nothing', () => {
  const grants = statements(tf).filter((s) => s.doc === 'runner_task_policy_doc');
  const writes = grants.filter((s) => s.actions.some((a) => /PutSecretValue|CreateSecret|UpdateSecret|RestoreSecret/.test(a)));
  assert.deepEqual(
    writes.map((s) => s.actions),
    [['secretsmanager:PutSecretValue']],
  );
  const text = JSON.stringify(writes[0].resources);
  for (const written of ['secret_tenant_signing_key', 'secret_leaf_credentials', 'secret_local_admin_secret'])
    assert.ok(text.includes(written), written);
  for (const notWritten of ['secret_openai_api_key', 'secret_anthropic_api_key', 'secret_agent_token', 'secret_enroll_token'])
    assert.ok(!text.includes(notWritten), notWritten);
  assert.equal(resources(tf, 'aws_secretsmanager_secret_version').length, 0);
});

test('the runner image contract in terraform/README.md names what the task definition and the plane rely on', () => {
  const readme = readFileSync(join(repoRoot, 'terraform', 'README.md'), 'utf8');
  const contract = readme.slice(readme.indexOf('### What the vendor images must provide'), readme.indexOf('## Responsibility matrix'));
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  const nodeMajor = /(\d+)\./.exec(pkg.devDependencies.node)![1];
  assert.match(contract, new RegExp(`Node ${nodeMajor}\\b`), 'the Node major the repository pins');
  // The leaf's outbox is crash-safe only from the version whose config fsyncs every acknowledged write.
  assert.ok(supportsSyncAlways('2.10.0') && !supportsSyncAlways('2.9.15'));
  assert.match(contract, /nats-server 2\.10 or newer/);
  const natsSource = readFileSync(join(repoRoot, 'shared', 'nats-server-process.ts'), 'utf8');
  assert.match(natsSource, /NATS_SERVER_BIN \?\? '\/usr\/sbin\/nats-server'/);
  assert.match(contract, /`\/usr\/sbin\/nats-server`/);
  for (const needed of [
    'bubblewrap',
    'git',
    'setpriv',
    RDS_CA_BUNDLE_PATH,
    HEALTHCHECK_COMMAND[1],
    ...ENTRYPOINT_VARIABLES,
    'CONSOLE_HOST',
  ])
    assert.ok(contract.includes(needed), `the contract names ${needed}`);
  // And the sandbox's limit on Fargate is stated where the customer reads it.
  assert.match(readme, /Fargate does not allow that/);
  assert.match(readme, /sandbox: none/);
});
