import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { customerPlaneEnvSchema } from '../../../customer-plane/config.ts';
import { createCustomerPlane } from '../../../customer-plane/create-customer-plane.ts';
import { FAKE_AWS_CREDENTIALS, FAKE_AWS_REGION, startFakeSecretsManager } from '../../../scripts/fakes/index.ts';
import { createLogger } from '../../../shared/log.ts';
import { passwordCheckedPostgres, fakeAwsCredentialsInEnv } from '../../support/password-postgres.ts';
import { enrolledStateDir } from '../../support/enrolled-plane.ts';

/**
 * The plane as the stack starts it (terraform/src/plane-env.ts): DATABASE_URL without a password and
 * DATABASE_PASSWORD_SECRET naming a JSON secret in Secrets Manager. Against a Postgres that checks
 * passwords (the embedded one; the shared test server trusts loopback) and the Secrets Manager FAKE.
 */
const TENANT = '00000000-0000-4000-8000-0000000000d7';

test('a plane started with DATABASE_PASSWORD_SECRET migrates and serves with the password from the secret, and takes a rotation without a restart', async (t) => {
  const pgServer = await passwordCheckedPostgres(t);
  const { admin } = pgServer;
  const before = `pw-1-${randomBytes(12).toString('hex')}`;
  const after = `pw-2-${randomBytes(12).toString('hex')}`;
  const { role, url } = await pgServer.login('ap_plane', before, { ownDatabase: true });

  const sm = await startFakeSecretsManager();
  t.after(() => sm.close());
  const client = new SecretsManagerClient({ region: FAKE_AWS_REGION, endpoint: sm.endpoint, credentials: { ...FAKE_AWS_CREDENTIALS } });
  const { ARN } = await client.send(
    new CreateSecretCommand({ Name: `rds-db-${role}`, SecretString: JSON.stringify({ password: before }) }),
  );
  // The plane's SDK client takes its credentials where the task's come from: the default chain.
  fakeAwsCredentialsInEnv(t);

  const stateDir = await enrolledStateDir(t, TENANT);
  const env = customerPlaneEnvSchema.parse({
    DATABASE_URL: url.toString(),
    DATABASE_PASSWORD_SECRET: ARN,
    AWS_REGION: FAKE_AWS_REGION,
    AWS_SECRETS_ENDPOINT: sm.endpoint,
    TENANT_ID: TENANT,
    CONTROL_PLANE_URL: 'http://127.0.0.1:9',
    STATE_DIR: stateDir,
    OPENAI_API_KEY: 'unused',
    LOCAL_API_PORT: '0',
  });
  const plane = await createCustomerPlane({ env, log: createLogger({ service: 'customer-plane', level: 'silent' }) });
  t.after(() => plane.stop());
  const inRoleDb = new URL(pgServer.serverUrl);
  inRoleDb.pathname = `/${role}`;
  const adminThere = new pg.Client({ connectionString: inRoleDb.toString() });
  await adminThere.connect();
  const schemas = await adminThere.query(
    `SELECT nspname FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner WHERE r.rolname = $1 ORDER BY 1`,
    [role],
  );
  assert.deepEqual(
    schemas.rows.map((r) => r.nspname),
    ['approvals', 'memory', 'runtime'],
    'migrated as the role, with the password from the secret',
  );
  await adminThere.end();

  const adminSecret = JSON.parse(readFileSync(join(stateDir, 'secrets.json'), 'utf8'))['local-admin-secret'];
  const approvals = () => fetch(`${plane.localApiUrl}/v1/approvals`, { headers: { authorization: `Bearer ${adminSecret}` } });
  assert.equal((await approvals()).status, 200);

  // RDS rotates the password; every connection the plane holds is ended (a failover, an idle timeout).
  await admin.query(`ALTER ROLE ${role} PASSWORD '${after}'`);
  await client.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: JSON.stringify({ password: after }) }));
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
  let answered = 0;
  for (let i = 0; i < 50 && answered === 0; i++) {
    const res = await approvals();
    if (res.status === 200) answered++;
    else await new Promise((r) => setTimeout(r, 50)); // a connection ended under a request: 503, try again
  }
  assert.equal(answered, 1, 'the running plane logs in with the rotated password');
  const logins = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [role]);
  assert.ok(logins.rows[0].n >= 1, 'over a new connection');
});
