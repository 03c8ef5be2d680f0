// The customer plane's first start as the Terraform stack sets it up: its variables taken from the
// synthesized task definition, its secrets pre-created empty under the stack's names (as `terraform
// apply` leaves them) with only the values the customer puts, and every Secrets Manager call the plane
// makes checked against the task role's synthesized statements. The plane must enroll, store what it
// generates in the stack's secrets, and do what a run does with its secrets — with no call the role
// does not allow.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { customerPlaneEnvSchema } from '../../../customer-plane/config.ts';
import { createCustomerPlane } from '../../../customer-plane/create-customer-plane.ts';
import { createAwsSecretStore } from '../../../customer-plane/secrets/aws-store.ts';
import { ownSecretsForMasking } from '../../../customer-plane/secrets/plane-secrets.ts';
import { createSecretsProvider } from '../../../customer-plane/secrets/provider.ts';
import { FAKE_AWS_CREDENTIALS, FAKE_AWS_REGION } from '../../../scripts/fakes/index.ts';
import { type FakeAuthorize, startFakeSecretsManager } from '../../../scripts/fakes/secrets-manager.ts';
import { createTestDatabase } from '../../../scripts/topology/scratch-database.ts';
import { createLogger } from '../../../shared/log.ts';
import { startInProcessControlPlane } from '../../support/control-plane.ts';
import { containerVariants, loadDist, statements } from '../../unit/terraform/tf-json.ts';

const tf = loadDist();

/** The task role's Secrets Manager grants as a decision over secret names, for the fake. */
function taskRolePolicy(name: string, dbSecret: string): FakeAuthorize {
  const resolve = (text: string) => text.replaceAll('${local.name}', name);
  const grants = statements(tf)
    .filter((s) => s.doc === 'runner_task_policy_doc' && s.effect === 'Allow')
    .map((s) => {
      const resources = typeof s.resources === 'string' ? [s.resources] : s.resources;
      const exact = new Set<string>();
      const patterns: RegExp[] = [];
      for (const r of resources) {
        // A stack secret by reference: its name as the stack creates it.
        for (const [, id] of r.matchAll(/aws_secretsmanager_secret\.([a-z0-9_]+)/g))
          exact.add(resolve(String(tf.resource.aws_secretsmanager_secret[id].name)));
        // The RDS-managed master secret (the database password), by the name it has here.
        if (r.includes('aws_db_instance.db.master_user_secret')) exact.add(dbSecret);
        // A name pattern under the stack's prefix (the ARN's random suffix is AWS's, so `*` covers it).
        const m = /:secret:(.+)$/.exec(r);
        if (m)
          patterns.push(
            new RegExp(
              `^${resolve(m[1])
                .replace(/[.+?^$()[\]{}|\\]/g, '\\$&')
                .replaceAll('*', '.*')}$`,
            ),
          );
      }
      return { actions: new Set(s.actions), exact, patterns, star: resources.includes('*') };
    });
  return (op, secret) =>
    grants.some(
      (g) =>
        g.actions.has(`secretsmanager:${op}`) &&
        (secret === undefined ? g.star : g.exact.has(secret) || g.patterns.some((p) => p.test(secret))),
    );
}

/** The plane's variables as the task definition sets them, with what this machine has in place of AWS's. */
function taskEnvironment(local: Record<string, string>, at: Record<string, string>): Record<string, string> {
  const base = containerVariants(tf.resource.aws_ecs_task_definition.runner_task_definition, tf).find(
    (v) => v.local === 'runner_container_definitions',
  )!.containers[0];
  const env: Record<string, string> = {};
  for (const e of base.environment ?? []) {
    env[e.name] = e.value.replace(/\$\{([^}]+)\}/g, (_, expr: string) => {
      assert.ok(expr in at, `what \${${expr}} is here`);
      return at[expr];
    });
  }
  return { ...env, ...local };
}

test('the plane starts as the stack deploys it: it enrolls into the pre-created secrets and reads a run’s secrets within its task role’s grants', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ap-first-start-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cp = await startInProcessControlPlane();
  t.after(() => cp.stop());
  const res = await fetch(`${cp.url}/v1/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await cp.operatorToken()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'deployed' }),
  });
  const { tenant, enrollToken } = (await res.json()) as { tenant: { id: string }; enrollToken: string };
  const name = `ap-${tenant.id}`;

  // Until the plane starts, calls are the customer's (their own credentials); from then on, the role's.
  let decide: FakeAuthorize = () => true;
  const fake = await startFakeSecretsManager({ authorize: (op, s) => decide(op, s) });
  t.after(() => fake.close());
  const client = new SecretsManagerClient({ region: FAKE_AWS_REGION, endpoint: fake.endpoint, credentials: { ...FAKE_AWS_CREDENTIALS } });
  // `terraform apply`: every secret of the stack not switched off (the console's are, here), empty.
  const stackSecrets = Object.values(tf.resource.aws_secretsmanager_secret)
    .filter((s) => s.count === undefined)
    .map((s) => String(s.name).replaceAll('${local.name}', name));
  for (const n of stackSecrets) await client.send(new CreateSecretCommand({ Name: n }));
  // The customer, as the README's deploy steps say: the enrollment token, one LLM key, a production secret.
  await client.send(new PutSecretValueCommand({ SecretId: `${name}/enroll-token`, SecretString: enrollToken }));
  await client.send(new PutSecretValueCommand({ SecretId: `${name}/openai-api-key`, SecretString: 'sk-test-deployed-plane' }));
  await client.send(new CreateSecretCommand({ Name: `${name}/production/DEPLOY_KEY`, SecretString: 'deploy-key-value-1' }));
  await client.send(new CreateSecretCommand({ Name: `${name}/sandbox/OTHER_KEY`, SecretString: 'other-key-value-1' }));
  // RDS's own secret for the master user (AWS names it `rds!db-…`; the fake takes no `!`). This machine's
  // Postgres trusts the login, so the plane has no password to read from it here (the rotation test does).
  const dbSecret = `rds-db-${tenant.id}`;
  await client.send(
    new CreateSecretCommand({ Name: dbSecret, SecretString: JSON.stringify({ username: 'postgres', password: 'unused-here' }) }),
  );
  decide = taskRolePolicy(name, dbSecret);
  fake.requests.reset();

  const repo = join(dir, 'repo');
  mkdirSync(repo);
  const db = await createTestDatabase('firststart');
  t.after(() => db.drop());
  const raw = taskEnvironment(
    {
      // What this machine has in place of RDS (no TLS here) and of the EFS mount; ECS's injection of the
      // enrollment token (the value the customer put); no collector here.
      DATABASE_URL: db.url,
      STATE_DIR: join(dir, 'state'),
      ENROLL_TOKEN: enrollToken,
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
    },
    {
      'var.tenant_id': tenant.id,
      'var.control_plane_url': cp.url,
      'var.region': FAKE_AWS_REGION,
      'var.llm_mode': 'direct',
      'var.runner_concurrency': '1',
      'local.name': name,
      'local.plane_repos': `app=${repo}`,
      'aws_db_instance.db.address': 'unused',
      'aws_db_instance.db.port': '5432',
      'aws_db_instance.db.master_user_secret[0].secret_arn': dbSecret,
      'aws_service_discovery_private_dns_namespace.namespace.name': 'unused',
    },
  );
  const env = customerPlaneEnvSchema.parse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== '')));
  const store = createAwsSecretStore({ prefix: env.AWS_SECRETS_PREFIX, client });
  const plane = await createCustomerPlane({ env, log: createLogger({ service: 'customer-plane', level: 'silent' }), secrets: store });
  t.after(() => plane.stop());

  // What a run does with secrets at its start and at use: its masker reads the plane's own secrets, it
  // lists its scope's names, reads one, and its inputs are deleted when it ends.
  await ownSecretsForMasking(env, store);
  const provider = createSecretsProvider(store);
  assert.deepEqual(await provider.names({ prefix: 'production/' }), ['DEPLOY_KEY']);
  assert.equal(await provider.get({ prefix: 'production/' }, 'DEPLOY_KEY'), 'deploy-key-value-1');
  await store.delete('run-inputs/01J0000000000000000000000/TOKEN');

  const refused = fake.requests.log.filter((r) => r.status !== 200 && r.error !== 'ResourceNotFoundException');
  assert.deepEqual(refused, [], 'no call the task role does not allow (a read of an empty secret answers "not found")');
  assert.ok(
    fake.requests.log.some((r) => r.op === 'PutSecretValue' && r.status === 200),
    'enrollment wrote',
  );
  assert.ok(!fake.requests.log.some((r) => r.op === 'CreateSecret'), 'the plane creates no secret: the stack did');
  assert.deepEqual(fake.names().sort(), [...stackSecrets, `${name}/production/DEPLOY_KEY`, `${name}/sandbox/OTHER_KEY`, dbSecret].sort());
  // Enrollment wrote into the stack's secrets.
  decide = () => true;
  const read = async (id: string) => (await client.send(new GetSecretValueCommand({ SecretId: `${name}/${id}` }))).SecretString!;
  assert.equal(JSON.parse(await read('tenant-signing-key')).kid, plane.kid);
  assert.ok(JSON.parse(await read('leaf-credentials')).username);

  // And the policy is what refuses: another environment's secret by a name outside the scopes, or a write
  // the plane never makes, is denied.
  decide = taskRolePolicy(name, dbSecret);
  fake.requests.reset();
  await assert.rejects(
    client.send(new PutSecretValueCommand({ SecretId: `${name}/openai-api-key`, SecretString: 'x'.repeat(12) })),
    /not authorized/,
  );
  await assert.rejects(
    client.send(new CreateSecretCommand({ Name: `${name}/production/NEW`, SecretString: 'x'.repeat(12) })),
    /not authorized/,
  );
  await assert.rejects(client.send(new GetSecretValueCommand({ SecretId: `${name}-other/production/DEPLOY_KEY` })), /not authorized/);
});
