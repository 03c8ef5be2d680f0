import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { FAKE_AWS_CREDENTIALS, FAKE_AWS_REGION, startFakeSecretsManager } from '../../../scripts/fakes/index.ts';
import { passwordCheckedPostgres } from '../../support/password-postgres.ts';
import { tempDir } from '../../support/cleanup.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function run(cli: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--liftoff-only', join(ROOT, 'customer-plane/cli', cli), ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * Every CLI that opens the plane's database reads its password as the plane does: with only
 * DATABASE_URL (no password) and DATABASE_PASSWORD_SECRET, against a Postgres that checks passwords.
 */
test('the CLIs log in with the password DATABASE_PASSWORD_SECRET names (data, memory, runs, runs inputs, approvals)', async (t) => {
  const dir = tempDir(t, 'dbpass-cli');
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const { role, url } = await (await passwordCheckedPostgres(t)).login('ap_cli', password, { ownDatabase: true });
  const sm = await startFakeSecretsManager();
  t.after(() => sm.close());
  const client = new SecretsManagerClient({ region: FAKE_AWS_REGION, endpoint: sm.endpoint, credentials: { ...FAKE_AWS_CREDENTIALS } });
  const { ARN } = await client.send(new CreateSecretCommand({ Name: `rds-db-${role}`, SecretString: JSON.stringify({ password }) }));

  const env = {
    DATABASE_URL: url.toString(),
    DATABASE_PASSWORD_SECRET: ARN!,
    AWS_REGION: FAKE_AWS_REGION,
    AWS_SECRETS_ENDPOINT: sm.endpoint,
    AWS_ACCESS_KEY_ID: FAKE_AWS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_AWS_CREDENTIALS.secretAccessKey,
    STATE_DIR: join(dir, 'state'),
  };
  // `data erase` migrates every schema first, so the read-only CLIs after it find their tables.
  for (const [cli, args] of [
    ['data.ts', ['erase', '--yes']],
    ['memory.ts', ['levels', '--json']],
    ['runs.ts', ['list', '--json']],
    ['approvals.ts', ['list', '--json']],
  ] as const) {
    const res = await run(cli, [...args], env);
    assert.equal(res.code, 0, `${cli}: ${res.stderr}`);
    assert.ok(!`${res.stdout}${res.stderr}`.includes(password), `${cli} prints no password`);
  }
  const inputs = await run('runs.ts', ['inputs', 'show', '01ARZ3NDEKTSV4RRFFQ69G5FAV'], env);
  // Its answer came from the database: the login worked.
  assert.match(inputs.stderr, /no inputs 01ARZ3NDEKTSV4RRFFQ69G5FAV in this customer plane's database/);
  // And without the secret the same URL is refused: the password came from the secret.
  const { DATABASE_PASSWORD_SECRET: _s, ...without } = env;
  assert.notEqual((await run('runs.ts', ['list', '--json'], without)).code, 0);
});
