import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { databasePasswordOf, databasePasswordSource } from '../../../customer-plane/secrets/database-password.ts';
import { SecretsUnavailableError } from '../../../customer-plane/secrets/errors.ts';
import { FAKE_AWS_CREDENTIALS, FAKE_AWS_REGION, startFakeSecretsManager } from '../../../scripts/fakes/index.ts';
import { checkDatabase } from '../../../shared/db/first-connect.ts';
import { createDb } from '../../../shared/db/pool.ts';
import { OperatorError, UnavailableError } from '../../../shared/errors.ts';
import { isPermanent } from '../../../shared/worker-errors.ts';
import { passwordCheckedPostgres, fakeAwsCredentialsInEnv } from '../../support/password-postgres.ts';

/**
 * The customer plane's database password read from Secrets Manager at connect time (RDS rotates it):
 * against a Postgres that checks passwords (the embedded one, scram-sha-256; the shared test server
 * trusts every login from loopback) and the Secrets Manager FAKE through the real SDK.
 */
test('a rotated database password reaches the next connection of the same pool: one read per burst, read again after a refusal, an unreadable store is an outage', async (t) => {
  const pgServer = await passwordCheckedPostgres(t);
  const { admin } = pgServer;
  const passwordA = `pw-A-${randomBytes(12).toString('hex')}`;
  const passwordB = `pw-B-${randomBytes(12).toString('hex')}`;
  const passwordB2 = `pw-B2-${randomBytes(12).toString('hex')}`;
  const passwordC = `pw-C-${randomBytes(12).toString('hex')}`;
  const { role, url } = await pgServer.login('ap_rot', passwordA);
  const setPassword = (p: string) => admin.query(`ALTER ROLE ${role} PASSWORD '${p}'`); // generated hex: nothing to escape

  const sm = await startFakeSecretsManager();
  t.after(() => sm.close());
  const client = new SecretsManagerClient({
    region: FAKE_AWS_REGION,
    endpoint: sm.endpoint,
    credentials: { ...FAKE_AWS_CREDENTIALS },
    maxAttempts: 1,
  });
  const created = await client.send(
    new CreateSecretCommand({ Name: `rds-db-${role}`, SecretString: JSON.stringify({ username: role, password: passwordA }) }),
  );
  const arn = created.ARN!;
  const rotateSecret = (p: string) =>
    client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify({ username: role, password: p }) }));
  const reads = () => sm.requests.log.filter((r) => r.op === 'GetSecretValue').length;
  const password = databasePasswordSource({ secretId: arn, client });

  await checkDatabase(url.toString(), 'DATABASE_URL', password);
  // At start, a secret that is not there is named as such, not as a URL without a password.
  await assert.rejects(
    checkDatabase(url.toString(), 'DATABASE_URL', databasePasswordSource({ secretId: 'rds-db-absent', client })),
    (e) => e instanceof OperatorError && e.code === 'database_password_missing',
  );
  const db = createDb({ databaseUrl: url.toString(), max: 4, password });
  t.after(() => db.end());
  const endIdle = async () => {
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
    while (db.totalCount > 0) await new Promise((r) => setTimeout(r, 20));
  };

  sm.requests.reset();
  const burst = await Promise.all([1, 2, 3, 4].map(() => db.connect()));
  for (const c of burst) assert.equal((await c.query('SELECT current_user AS u')).rows[0].u, role);
  for (const c of burst) c.release();
  assert.equal(db.totalCount, 4, 'four connections were opened');
  assert.equal(reads(), 1, 'a burst of connects read the secret once');
  // Only a refused login is tried again: a statement that fails is not run a second time. nextval() is
  // not rolled back with its failed statement, so the sequence counts how often it ran.
  await admin.query(`CREATE SEQUENCE ${role}_runs`);
  await admin.query(`GRANT USAGE, SELECT, UPDATE ON SEQUENCE ${role}_runs TO ${role}`);
  await assert.rejects(db.query(`SELECT nextval('${role}_runs') / 0`), (e: unknown) => e instanceof pg.DatabaseError && e.code === '22012');
  assert.equal((await admin.query(`SELECT last_value FROM ${role}_runs`)).rows[0].last_value, '1', 'the failed statement ran once');

  // RDS rotates: the role's password and the secret change; the running pool is not touched.
  await setPassword(passwordB);
  await rotateSecret(passwordB);
  await endIdle();
  assert.equal((await db.query('SELECT current_user AS u')).rows[0].u, role, 'a new connection logs in with the rotated password');
  assert.equal(reads(), 2, 'the refused password was dropped and the secret read again, once');
  const more = await Promise.all([1, 2, 3].map(() => db.connect()));
  for (const c of more) c.release();
  assert.equal(reads(), 2, 'the rotated value is kept for the next connects');
  // The same for a connection checked out of the pool (a transaction's path), not only a pool query.
  await setPassword(passwordB2);
  await rotateSecret(passwordB2);
  await endIdle();
  const held = await db.connect();
  assert.equal((await held.query('SELECT current_user AS u')).rows[0].u, role, 'a checked-out connection logs in after a rotation');
  held.release();
  assert.equal(reads(), 3);

  // Rotated again while Secrets Manager cannot be reached: the outage path, not a crash or a login error.
  await setPassword(passwordC);
  sm.setFault({ status: 500, body: { __type: 'InternalServiceError', message: 'down' } });
  await endIdle();
  const outage = await db.query('SELECT 1').then(
    () => assert.fail('connected without a readable password'),
    (err: unknown) => err,
  );
  assert.ok(outage instanceof UnavailableError, `an outage: ${inspect(outage)}`);
  assert.equal(outage.status, 503);
  assert.equal(outage.code, 'unavailable');
  assert.equal(outage.dependency, 'postgres', 'the database is what is unavailable to the caller');
  assert.match(outage.message, /database password could not be read/);
  assert.equal(isPermanent(outage), false, 'retryable in workers');
  assert.ok(outage.cause instanceof SecretsUnavailableError, 'its cause names the store');
  const connectOutage = await db.connect().then(
    () => assert.fail('connected'),
    (err: unknown) => err,
  );
  assert.ok(connectOutage instanceof UnavailableError, 'a checked-out connection fails the same way');
  for (const p of [passwordA, passwordB, passwordB2, passwordC])
    assert.ok(!inspect(outage, { depth: 10 }).includes(p), 'no password in the error');

  // The store is back: the same pool recovers, nothing re-created.
  sm.setFault(null);
  await rotateSecret(passwordC);
  assert.equal((await db.query('SELECT current_user AS u')).rows[0].u, role);

  // Without a password source a pool logs in with the URL's own password, and a refused one is final.
  const withUrlPassword = (p: string) => Object.assign(new URL(url), { password: p }).toString();
  const plain = createDb({ databaseUrl: withUrlPassword(passwordC), max: 1 });
  t.after(() => plain.end());
  assert.equal((await plain.query('SELECT current_user AS u')).rows[0].u, role);
  assert.deepEqual([db.options.max, plain.options.connectionTimeoutMillis], [4, 5000], 'the size asked for; connects bounded by default');
  const stale = createDb({ databaseUrl: withUrlPassword(passwordA), max: 1 });
  t.after(() => stale.end());
  await assert.rejects(stale.query('SELECT 1'), (e: unknown) => e instanceof pg.DatabaseError && e.code === '28P01');
});

test('a secret that is missing or holds no password stops the start with what to fix, never the value', async (t) => {
  const sm = await startFakeSecretsManager();
  t.after(() => sm.close());
  const client = new SecretsManagerClient({ region: FAKE_AWS_REGION, endpoint: sm.endpoint, credentials: { ...FAKE_AWS_CREDENTIALS } });
  await assert.rejects(
    databasePasswordSource({ secretId: 'rds-db-absent', client })(),
    (e) =>
      e instanceof OperatorError &&
      e.code === 'database_password_missing' &&
      /DATABASE_PASSWORD_SECRET names does not exist/.test(e.message),
  );
  for (const [i, text] of ['pw-plain', '{"user":"x"}', '{"password":""}', '{"password":42}', 'null'].entries()) {
    await client.send(new CreateSecretCommand({ Name: `bad-${i}`, SecretString: text }));
    await assert.rejects(databasePasswordSource({ secretId: `bad-${i}`, client })(), (e) => {
      assert.ok(e instanceof OperatorError && e.code === 'database_password_invalid', text);
      assert.match(e.message, /is not JSON with a "password" string/);
      assert.ok(!inspect(e, { depth: 10 }).includes('pw-plain'), 'the text is not quoted (a JSON.parse message would)');
      return true;
    });
  }
  await client.send(new CreateSecretCommand({ Name: 'good', SecretString: '{"username":"u","password":"p w\\"x"}' }));
  assert.equal(await databasePasswordSource({ secretId: 'good', client })(), 'p w"x');

  // The plane's own wiring: the variables name the secret, the region and the endpoint; unset = the URL's password.
  fakeAwsCredentialsInEnv(t);
  const fromEnv = databasePasswordOf({ DATABASE_PASSWORD_SECRET: 'good', AWS_REGION: FAKE_AWS_REGION, AWS_SECRETS_ENDPOINT: sm.endpoint });
  assert.equal(await fromEnv?.(), 'p w"x');
  assert.equal(databasePasswordOf({ AWS_REGION: FAKE_AWS_REGION, AWS_SECRETS_ENDPOINT: sm.endpoint }), undefined);
});
