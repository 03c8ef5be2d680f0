import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { customerPlaneEnvSchema } from '../../../customer-plane/config.ts';
import { loadConfig } from '../../../shared/config.ts';
import { ConfigError } from '../../../shared/errors.ts';

const BASE = {
  TENANT_ID: '00000000-0000-4000-8000-0000000000aa',
  CONTROL_PLANE_URL: 'https://cp.example.com',
  DATABASE_URL: 'postgres://runner@db.internal:5432/agentplane',
};

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig('customer-plane', customerPlaneEnvSchema, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail('the configuration was accepted');
}

const REPO_ROOT = mkdtempSync(join(tmpdir(), 'ap-repos-'));
after(() => rmSync(REPO_ROOT, { recursive: true, force: true }));

test('the tenant id and the control-plane URL are required, and a malformed one is named as invalid', () => {
  assert.match(problemsOf({}), /missing required variable\(s\): TENANT_ID, CONTROL_PLANE_URL$/);
  assert.match(problemsOf({ ...BASE, TENANT_ID: 'acme' }), /invalid: TENANT_ID/);
});

test('a CONTROL_PLANE_URL without an http(s) scheme is refused, naming the variable', () => {
  for (const bad of ['localhost:8080', 'control.example.com', 'ftp://control.example.com']) {
    assert.match(problemsOf({ ...BASE, CONTROL_PLANE_URL: bad }), /invalid: CONTROL_PLANE_URL \(/, bad);
  }
  assert.doesNotThrow(() => loadConfig('customer-plane', customerPlaneEnvSchema, { ...BASE, CONTROL_PLANE_URL: 'http://127.0.0.1:8080' }));
});

test('a REPOS path that does not exist (or is a file) is refused at start, naming the variable and the alias', () => {
  assert.match(
    problemsOf({ ...BASE, REPOS: `app=${join(REPO_ROOT, 'missing')}` }),
    /invalid: REPOS \(the path of "app" is not a directory/,
  );
  assert.match(problemsOf({ ...BASE, REPOS: 'app=/etc/hostname' }), /invalid: REPOS \(the path of "app" is not a directory/);
});

test('without DATABASE_URL the customer plane is valid: it starts its embedded Postgres', () => {
  const { DATABASE_URL: _, ...rest } = BASE;
  assert.equal(loadConfig('customer-plane', customerPlaneEnvSchema, rest).DATABASE_URL, undefined);
});

test('REPOS is parsed into alias → absolute path, and pairs that are not alias=/absolute/path are refused', () => {
  const app = mkdtempSync(join(REPO_ROOT, 'app-'));
  const lib = mkdtempSync(join(REPO_ROOT, 'lib-'));
  const env = loadConfig('customer-plane', customerPlaneEnvSchema, { ...BASE, REPOS: `app=${app}, lib-2=${lib}` });
  assert.deepEqual(env.REPOS, { app, 'lib-2': lib });
  for (const bad of ['app', 'app=relative/path', 'App=/srv/app', '=/srv/app']) {
    assert.match(problemsOf({ ...BASE, REPOS: bad }), /invalid: REPOS \(expected alias=\/absolute\/path pairs/, bad);
  }
});

test('SECRETS_BACKEND=aws needs AWS_REGION, named in the same message as any other problem', () => {
  const message = problemsOf({ TENANT_ID: BASE.TENANT_ID, SECRETS_BACKEND: 'aws', RUNNER_CONCURRENCY: '0' });
  assert.match(message, /AWS_REGION \(required with SECRETS_BACKEND=aws\)/);
  assert.match(message, /CONTROL_PLANE_URL/);
  assert.match(message, /invalid: RUNNER_CONCURRENCY/);
  const env = loadConfig('customer-plane', customerPlaneEnvSchema, { ...BASE, SECRETS_BACKEND: 'aws', AWS_REGION: 'eu-west-1' });
  assert.equal(env.AWS_REGION, 'eu-west-1');
});

test('defaults: direct LLM mode, file secrets, embedded leaf, two workflows at once', () => {
  const env = loadConfig('customer-plane', customerPlaneEnvSchema, BASE);
  assert.equal(env.LLM_MODE, 'direct');
  assert.equal(env.SECRETS_BACKEND, 'file');
  assert.equal(env.LEAF_NATS_URL, undefined);
  assert.equal(env.RUNNER_CONCURRENCY, 2);
  assert.deepEqual(env.REPOS, {});
});

test('LLM keys are not required by the schema: they may live in the secret store, which the preflight checks', () => {
  assert.doesNotThrow(() => loadConfig('customer-plane', customerPlaneEnvSchema, { ...BASE, LLM_MODE: 'routed' }));
  assert.match(problemsOf({ ...BASE, LLM_MODE: 'sideways' }), /invalid: LLM_MODE/);
});

test('DATABASE_URL takes postgres:// and postgresql:// URLs; any other scheme is refused, saying what is expected', () => {
  for (const url of ['postgres://runner@db.internal/agentplane', 'postgresql://runner@db.internal/agentplane']) {
    assert.equal(loadConfig('customer-plane', customerPlaneEnvSchema, { ...BASE, DATABASE_URL: url }).DATABASE_URL, url);
  }
  for (const url of ['mysql://runner@db.internal/agentplane', 'x-postgres://db.internal/agentplane']) {
    assert.match(problemsOf({ ...BASE, DATABASE_URL: url }), /invalid: DATABASE_URL \(expected a postgres:\/\/ URL\)$/, url);
  }
});

test('a CONTROL_PLANE_URL whose scheme only ends in http(s), or that has no host, is refused', () => {
  for (const bad of ['web+https://cp.example.com', 'https:///v1']) {
    assert.match(
      problemsOf({ ...BASE, CONTROL_PLANE_URL: bad }),
      /invalid: CONTROL_PLANE_URL \(expected an http:\/\/ or https:\/\/ URL/,
      bad,
    );
  }
});

test('the choice variables take each of their documented values and refuse any other', () => {
  const choices = {
    LLM_MODE: ['direct', 'routed'],
    SECRETS_BACKEND: ['file', 'aws'],
    SANDBOX: ['auto', 'bwrap', 'none'],
    LOG_LEVEL: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
  };
  for (const [name, values] of Object.entries(choices)) {
    for (const value of values) {
      const env = loadConfig('customer-plane', customerPlaneEnvSchema, { ...BASE, AWS_REGION: 'eu-west-1', [name]: value });
      assert.equal((env as Record<string, unknown>)[name], value, `${name}=${value}`);
    }
    assert.match(problemsOf({ ...BASE, [name]: 'other' }), new RegExp(`invalid: ${name} \\(`), name);
  }
});

test('NATS_SERVER_VERSION is a major.minor[.patch] version and nothing else', () => {
  for (const v of ['2.10', '2.10.22', '12.0.1']) {
    assert.equal(loadConfig('customer-plane', customerPlaneEnvSchema, { ...BASE, NATS_SERVER_VERSION: v }).NATS_SERVER_VERSION, v);
  }
  for (const bad of ['2', 'v2.10', '2.10-beta', '2.10.22.1', '2.x', 'two.ten']) {
    assert.match(problemsOf({ ...BASE, NATS_SERVER_VERSION: bad }), /invalid: NATS_SERVER_VERSION/, bad);
  }
});

test('REPOS takes one-letter aliases and ignores blank entries (a trailing comma)', () => {
  const a = mkdtempSync(join(REPO_ROOT, 'a-'));
  const env = loadConfig('customer-plane', customerPlaneEnvSchema, { ...BASE, REPOS: ` a=${a},, ` });
  assert.deepEqual(env.REPOS, { a });
});

test('the local API listens on loopback only: another address is refused, saying so', () => {
  assert.equal(loadConfig('customer-plane', customerPlaneEnvSchema, { ...BASE, LOCAL_API_HOST: '::1' }).LOCAL_API_HOST, '::1');
  assert.match(problemsOf({ ...BASE, LOCAL_API_HOST: '0.0.0.0' }), /invalid: LOCAL_API_HOST \(a loopback address/);
});

// The accepted ranges, written out here rather than read back from the schema,
// so a bound moved in the schema fails this test instead of moving the test with it.
const NUMERIC_RANGES: ReadonlyArray<readonly [string, number, number]> = [
  ['LOCAL_API_PORT', 0, 65_535],
  ['BOUNDARY_METRICS_INTERVAL_MS', 200, 3_600_000],
  ['RUNNER_CONCURRENCY', 1, 64],
  ['RUNNER_STEP_PARALLELISM', 1, 16],
  ['RUNNER_ACK_WAIT_MS', 1000, 600_000],
  ['RUNNER_MAX_DELIVER', 1, 100],
  ['RUNNER_REPORT_INTERVAL_MS', 200, 3_600_000],
];

test('every numeric variable accepts its lowest and highest value and refuses one past either, naming the variable', () => {
  for (const [name, low, high] of NUMERIC_RANGES) {
    for (const ok of [low, high]) {
      const env = loadConfig('customer-plane', customerPlaneEnvSchema, { ...BASE, [name]: String(ok) });
      assert.equal((env as Record<string, unknown>)[name], ok, `${name}=${ok} is accepted as the number`);
    }
    for (const bad of [low - 1, high + 1]) {
      assert.match(problemsOf({ ...BASE, [name]: String(bad) }), new RegExp(`invalid: (.*, )?${name} \\(`), `${name}=${bad} is refused`);
    }
  }
});

test('a refused REPOS is reported as a custom issue on REPOS, the code loadConfig and callers sort by', () => {
  for (const raw of ['app', `app=${join(REPO_ROOT, 'missing')}`]) {
    const result = customerPlaneEnvSchema.safeParse({ ...BASE, REPOS: raw });
    assert.equal(result.success, false);
    assert.deepEqual(
      result.error?.issues.map((i) => [i.code, i.path]),
      [['custom', ['REPOS']]],
      raw,
    );
  }
});

test('DATABASE_PASSWORD_SECRET: read with a DATABASE_URL that has no password and a region; each missing piece is named', () => {
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0b0e7c2a-AbCdEf';
  const ok = loadConfig('customer-plane', customerPlaneEnvSchema, { ...BASE, DATABASE_PASSWORD_SECRET: arn, AWS_REGION: 'eu-west-1' });
  assert.equal(ok.DATABASE_PASSWORD_SECRET, arn, 'an RDS-managed secret ARN, `!` included');
  assert.equal(loadConfig('customer-plane', customerPlaneEnvSchema, BASE).DATABASE_PASSWORD_SECRET, undefined, 'optional');
  const { DATABASE_URL: _url, ...noUrl } = BASE;
  assert.match(
    problemsOf({ ...noUrl, DATABASE_PASSWORD_SECRET: arn, AWS_REGION: 'eu-west-1' }),
    /DATABASE_PASSWORD_SECRET \(requires DATABASE_URL/,
  );
  assert.match(
    problemsOf({
      ...BASE,
      DATABASE_URL: 'postgres://runner:pw@db.internal:5432/agentplane',
      DATABASE_PASSWORD_SECRET: arn,
      AWS_REGION: 'eu-west-1',
    }),
    /DATABASE_PASSWORD_SECRET \(requires a DATABASE_URL without a password/,
  );
  // A user name alone is no password.
  assert.doesNotThrow(() =>
    loadConfig('customer-plane', customerPlaneEnvSchema, {
      ...BASE,
      DATABASE_URL: 'postgres://runner@db/x',
      DATABASE_PASSWORD_SECRET: arn,
      AWS_REGION: 'x',
    }),
  );
  assert.match(problemsOf({ ...BASE, DATABASE_PASSWORD_SECRET: arn }), /AWS_REGION \(required with DATABASE_PASSWORD_SECRET\)/);
  // Named together with an unrelated problem, like every other rule.
  assert.match(
    problemsOf({ ...BASE, TENANT_ID: 'acme', DATABASE_PASSWORD_SECRET: arn }),
    /TENANT_ID[\s\S]*AWS_REGION|AWS_REGION[\s\S]*TENANT_ID/,
  );
  for (const bad of ['has space', 'tab\tin'])
    assert.match(
      problemsOf({ ...BASE, DATABASE_PASSWORD_SECRET: bad, AWS_REGION: 'eu-west-1' }),
      /invalid: DATABASE_PASSWORD_SECRET \(a Secrets Manager secret ARN or name\)/,
      bad,
    );
  assert.match(
    problemsOf({ ...BASE, DATABASE_PASSWORD_SECRET: 'x'.repeat(2049), AWS_REGION: 'eu-west-1' }),
    /invalid: DATABASE_PASSWORD_SECRET/,
  );
  // A URL the WHATWG parser cannot read is not called one with a password: pg reads it its own way.
  assert.doesNotThrow(() =>
    loadConfig('customer-plane', customerPlaneEnvSchema, {
      ...BASE,
      DATABASE_URL: 'postgres://runner@[db/x',
      DATABASE_PASSWORD_SECRET: arn,
      AWS_REGION: 'x',
    }),
  );
});
