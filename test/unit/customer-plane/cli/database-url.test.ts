import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cliDatabase } from '../../../../customer-plane/cli/database-url.ts';
import { ConfigError } from '../../../../shared/errors.ts';

const URL_NO_PASSWORD = 'postgres://agentplane_admin@db.internal:5432/agentplane';
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1-AbCdEf';

test("the CLIs reach the plane's database as the plane does: DATABASE_PASSWORD_SECRET gives them the same password source", () => {
  const env = { DATABASE_URL: URL_NO_PASSWORD, STATE_DIR: '/nonexistent' };
  const withSecret = cliDatabase('runs', env, { ...env, DATABASE_PASSWORD_SECRET: ARN, AWS_REGION: 'eu-west-1' });
  assert.equal(withSecret.databaseUrl, URL_NO_PASSWORD);
  assert.equal(typeof withSecret.password, 'function', 'read at connect');
  assert.equal(cliDatabase('runs', env, env).password, undefined, "without it, the URL's own password");
});

test("the CLIs refuse DATABASE_PASSWORD_SECRET as the plane does: without DATABASE_URL, beside a URL's password, without a region", () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ DATABASE_PASSWORD_SECRET: ARN, AWS_REGION: 'eu-west-1' }, /requires DATABASE_URL/],
    [{ DATABASE_URL: 'postgres://u:pw@db/x', DATABASE_PASSWORD_SECRET: ARN, AWS_REGION: 'eu-west-1' }, /without a password/],
    [{ DATABASE_URL: URL_NO_PASSWORD, DATABASE_PASSWORD_SECRET: ARN }, /AWS_REGION/],
  ];
  for (const [processEnv, problem] of cases) {
    assert.throws(
      () => cliDatabase('runs', { DATABASE_URL: processEnv.DATABASE_URL, STATE_DIR: '/nonexistent' }, processEnv),
      (e) => e instanceof ConfigError && problem.test(e.message),
      JSON.stringify(processEnv),
    );
  }
});
