import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import bcrypt from 'bcryptjs';
import pg from 'pg';
import { startEmbeddedHub } from '../../../control-plane/hub/embedded.ts';
import { leafUsername } from '../../../control-plane/hub/config.ts';
import { customerPlaneEnvSchema } from '../../../customer-plane/config.ts';
import { createCustomerPlane } from '../../../customer-plane/create-customer-plane.ts';
import { createFileSecretStore } from '../../../customer-plane/secrets/file-store.ts';
import { FAKE_AWS_CREDENTIALS, FAKE_AWS_REGION, startFakeSecretsManager } from '../../../scripts/fakes/index.ts';
import { startEmbeddedPostgres } from '../../../shared/db/embedded-postgres.ts';
import { createLogger, silentLogger } from '../../../shared/log.ts';
import { generateTenantKey } from '../../../shared/signing.ts';

/**
 * The plane as the stack starts it (terraform/src/plane-env.ts): DATABASE_URL without a password and
 * DATABASE_PASSWORD_SECRET naming a JSON secret in Secrets Manager. Against a Postgres that checks
 * passwords (the embedded one; the shared test server trusts loopback) and the Secrets Manager FAKE.
 */
const TENANT = '00000000-0000-4000-8000-0000000000d7';

function tempDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ap-${prefix}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A state dir of a plane that enrolled earlier, against a real hub that knows its leaf login. */
async function enrolledStateDir(t: TestContext): Promise<string> {
  const password = 'leaf-password';
  const hub = await startEmbeddedHub({
    stateDir: tempDir(t, 'hub'),
    tenants: [{ tenant: TENANT, username: leafUsername(TENANT), passwordBcrypt: await bcrypt.hash(password, 4) }],
  });
  t.after(() => hub.stop());
  const stateDir = tempDir(t, 'cust');
  const secrets = createFileSecretStore(join(stateDir, 'secrets.json'));
  await secrets.put('tenant-signing-key', JSON.stringify((await generateTenantKey()).privateJwk));
  await secrets.put('leaf-credentials', JSON.stringify({ url: hub.leafUrl, username: leafUsername(TENANT), password }));
  return stateDir;
}

test('a plane started with DATABASE_PASSWORD_SECRET migrates and serves with the password from the secret, and takes a rotation without a restart', async (t) => {
  const pgDir = tempDir(t, 'dbpass-pg');
  chmodSync(pgDir, 0o711); // the server runs as `postgres` when the test runs as root
  const server = await startEmbeddedPostgres({ stateDir: pgDir, database: 'agentplane', log: silentLogger() });
  t.after(() => server.stop());
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  admin.on('error', () => {}); // the server may stop before this connection is ended
  t.after(() => admin.end());
  const role = `ap_plane_${randomBytes(4).toString('hex')}`;
  const before = `pw-1-${randomBytes(12).toString('hex')}`;
  const after = `pw-2-${randomBytes(12).toString('hex')}`;
  await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${before}'`); // generated hex: nothing to escape
  await admin.query(`CREATE DATABASE ${role} OWNER ${role}`);

  const sm = await startFakeSecretsManager();
  t.after(() => sm.close());
  const client = new SecretsManagerClient({ region: FAKE_AWS_REGION, endpoint: sm.endpoint, credentials: { ...FAKE_AWS_CREDENTIALS } });
  const { ARN } = await client.send(
    new CreateSecretCommand({ Name: `rds-db-${role}`, SecretString: JSON.stringify({ password: before }) }),
  );
  // The plane's SDK client takes its credentials where the task's come from: the default chain.
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, key: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = FAKE_AWS_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = FAKE_AWS_CREDENTIALS.secretAccessKey;
  t.after(() => {
    for (const [k, v] of [
      ['AWS_ACCESS_KEY_ID', saved.id],
      ['AWS_SECRET_ACCESS_KEY', saved.key],
    ] as const)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  });

  const url = new URL(server.url);
  url.username = role;
  url.password = '';
  url.pathname = `/${role}`;
  const stateDir = await enrolledStateDir(t);
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
  const inRoleDb = new URL(server.url);
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
