import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { controlPlaneEnvSchema, EXTERNAL_HUB_VARIABLES } from '../../../control-plane/config.ts';
import { loadConfig } from '../../../shared/config.ts';
import { ConfigError } from '../../../shared/errors.ts';
import { generateSigningJwk } from '../../../shared/tokens.ts';

const KEYS = JSON.stringify([await generateSigningJwk('k1')]);
const BASE = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x', CONTROL_PLANE_TOKEN_KEYS: KEYS };

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig('control-plane', controlPlaneEnvSchema, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, 'a ConfigError, not a zod error or a crash');
    return err.message;
  }
  assert.fail('the configuration was accepted');
}

test('the token keys are parsed inside the schema: the service receives private JWKs, first one signing', () => {
  const env = loadConfig('control-plane', controlPlaneEnvSchema, BASE);
  assert.equal(env.CONTROL_PLANE_TOKEN_KEYS.length, 1);
  assert.equal(env.CONTROL_PLANE_TOKEN_KEYS[0].kid, 'k1');
  assert.ok(env.CONTROL_PLANE_TOKEN_KEYS[0].d, 'the private part is there to sign with');
});

test('token keys that are not JSON, not private, without kid or not loadable are refused, naming the variable but no key material', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' });
  const broken = { ...JSON.parse(KEYS)[0], d: 'AAAA' };
  for (const [raw, why] of [
    ['{not json', /not JSON/],
    ['[]', /expected a JSON array of private JWKs with kid/],
    ['[{"kty":"OKP"}]', /expected a JSON array of private JWKs with kid/],
    [JSON.stringify([{ ...JSON.parse(KEYS)[0], kid: undefined }]), /with kid/],
    [JSON.stringify([{ ...ec, kid: 'p384' }]), /key "p384" is not a usable EdDSA \(Ed25519\) or ES256 private key/],
    [JSON.stringify([broken]), /key "k1" is not a usable/],
  ] as const) {
    const message = problemsOf({ ...BASE, CONTROL_PLANE_TOKEN_KEYS: raw });
    assert.match(message, /invalid: CONTROL_PLANE_TOKEN_KEYS \(/, raw);
    assert.match(message, why, raw);
    assert.doesNotMatch(message, /AAAA/, 'key material never appears in the message');
  }
});

test('an ES256 (P-256) key is accepted as well as Ed25519', () => {
  const jwk = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'es', alg: 'ES256' };
  const env = loadConfig('control-plane', controlPlaneEnvSchema, { ...BASE, CONTROL_PLANE_TOKEN_KEYS: JSON.stringify([jwk]) });
  assert.equal(env.CONTROL_PLANE_TOKEN_KEYS[0].kid, 'es');
});

test('with HUB_NATS_URL set, every missing external-hub variable is named, each with why it is needed', () => {
  const message = problemsOf({ ...BASE, HUB_NATS_URL: 'nats://hub:4222', HUB_NATS_USER: 'cp' });
  for (const name of EXTERNAL_HUB_VARIABLES.filter((n) => n !== 'HUB_NATS_USER')) {
    assert.match(message, new RegExp(`${name} \\(required with HUB_NATS_URL\\)`), name);
  }
  assert.doesNotMatch(message, /HUB_NATS_USER/, 'a variable that is set is not reported');
});

test('the external-hub rule and single-variable problems are reported in one message', () => {
  const message = problemsOf({ HUB_NATS_URL: 'nats://hub:4222', CONTROL_PLANE_TOKEN_KEYS: '[]', PORT: 'eighty' });
  assert.match(message, /missing required variable\(s\): .*HUB_PID_FILE/);
  assert.match(message, /HUB_PID_FILE \(required with HUB_NATS_URL\)/);
  assert.match(message, /invalid: .*CONTROL_PLANE_TOKEN_KEYS/);
  assert.match(message, /PORT/);
});

test('without HUB_NATS_URL the embedded hub needs none of the HUB_* variables; with all of them an external hub is accepted', () => {
  assert.equal(loadConfig('control-plane', controlPlaneEnvSchema, BASE).HUB_NATS_URL, undefined);
  const external = {
    HUB_NATS_URL: 'nats://hub:4222',
    HUB_NATS_USER: 'cp',
    HUB_NATS_PASSWORD: 'pw',
    HUB_ACCOUNTS_PATH: '/etc/nats/accounts.conf',
    HUB_PID_FILE: '/run/nats.pid',
    HUB_LEAF_URL: 'nats-leaf://hub.example.com:7422',
  };
  assert.equal(loadConfig('control-plane', controlPlaneEnvSchema, { ...BASE, ...external }).HUB_LEAF_URL, external.HUB_LEAF_URL);
  assert.match(problemsOf({ ...BASE, ...external, HUB_LEAF_URL: 'the hub, port 7422' }), /invalid: HUB_LEAF_URL/);
});

test('defaults: loopback interface, port 8080, info logs, no metrics endpoint', () => {
  const env = loadConfig('control-plane', controlPlaneEnvSchema, BASE);
  assert.equal(env.HOST, '127.0.0.1');
  assert.equal(env.PORT, 8080);
  assert.equal(env.LOG_LEVEL, 'info');
  assert.equal(env.METRICS_PORT, undefined);
});

test('the embedded hub takes a leafnode certificate and key together: either one alone is refused, naming the one missing', () => {
  const both = { HUB_LEAF_TLS_CERT_FILE: '/etc/hub/leaf.crt', HUB_LEAF_TLS_KEY_FILE: '/etc/hub/leaf.key' };
  const env = loadConfig('control-plane', controlPlaneEnvSchema, { ...BASE, ...both });
  assert.equal(env.HUB_LEAF_TLS_CERT_FILE, both.HUB_LEAF_TLS_CERT_FILE);
  assert.equal(env.HUB_LEAF_TLS_KEY_FILE, both.HUB_LEAF_TLS_KEY_FILE);
  const together = 'HUB_LEAF_TLS_CERT_FILE and HUB_LEAF_TLS_KEY_FILE are set together or not at all';
  assert.equal(
    problemsOf({ ...BASE, HUB_LEAF_TLS_CERT_FILE: both.HUB_LEAF_TLS_CERT_FILE }),
    `control-plane: invalid configuration: missing required variable(s): HUB_LEAF_TLS_KEY_FILE (${together})`,
  );
  assert.equal(
    problemsOf({ ...BASE, HUB_LEAF_TLS_KEY_FILE: both.HUB_LEAF_TLS_KEY_FILE }),
    `control-plane: invalid configuration: missing required variable(s): HUB_LEAF_TLS_CERT_FILE (${together})`,
  );
});

test('DATABASE_URL takes postgres:// and postgresql:// URLs; any other scheme is refused, saying what is expected', () => {
  for (const url of ['postgres://cp@db.internal:5432/agentplane', 'postgresql://cp@db.internal/agentplane']) {
    assert.equal(loadConfig('control-plane', controlPlaneEnvSchema, { ...BASE, DATABASE_URL: url }).DATABASE_URL, url);
  }
  for (const url of ['mysql://cp@db.internal/agentplane', 'db.internal:5432', 'x-postgres://db.internal/agentplane']) {
    assert.match(problemsOf({ ...BASE, DATABASE_URL: url }), /invalid: DATABASE_URL \(expected a postgres:\/\/ URL\)$/, url);
  }
});

test('LOG_LEVEL takes every pino level and refuses any other word', () => {
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']) {
    assert.equal(loadConfig('control-plane', controlPlaneEnvSchema, { ...BASE, LOG_LEVEL: level }).LOG_LEVEL, level);
  }
  assert.match(problemsOf({ ...BASE, LOG_LEVEL: 'verbose' }), /invalid: LOG_LEVEL/);
});

test('SHUTDOWN_DRAIN_MS is read as a number of milliseconds, zero included; a negative or non-integer drain is refused', () => {
  for (const ms of [0, 45_000, 600_000]) {
    assert.equal(loadConfig('control-plane', controlPlaneEnvSchema, { ...BASE, SHUTDOWN_DRAIN_MS: String(ms) }).SHUTDOWN_DRAIN_MS, ms);
  }
  for (const bad of ['-1', '1.5', '600001', 'soon'])
    assert.match(problemsOf({ ...BASE, SHUTDOWN_DRAIN_MS: bad }), /invalid: SHUTDOWN_DRAIN_MS/, bad);
});

// The accepted ranges, written out here rather than read back from the schema,
// so a bound moved in the schema fails this test instead of moving the test with it.
const NUMERIC_RANGES: ReadonlyArray<readonly [string, number, number]> = [
  ['PORT', 0, 65_535],
  ['METRICS_PORT', 0, 65_535],
  ['HTTP_REQUEST_TIMEOUT_MS', 1000, 600_000],
  ['HTTP_HEADERS_TIMEOUT_MS', 500, 120_000],
  ['HTTP_KEEP_ALIVE_TIMEOUT_MS', 1000, 600_000],
  ['HTTP_MAX_CONNECTIONS_PER_CLIENT', 0, 100_000],
  ['WORKFLOW_SILENCE_TIMEOUT_MS', 1000, 7 * 24 * 3_600_000],
  ['SHUTDOWN_DRAIN_MS', 0, 600_000],
];

test('every numeric variable accepts its documented lowest and highest value and refuses one past either, naming the variable', () => {
  for (const [name, low, high] of NUMERIC_RANGES) {
    for (const ok of [low, high]) {
      const env = loadConfig('control-plane', controlPlaneEnvSchema, { ...BASE, [name]: String(ok) });
      assert.equal((env as Record<string, unknown>)[name], ok, `${name}=${ok} is accepted as the number`);
    }
    for (const bad of [low - 1, high + 1]) {
      assert.match(problemsOf({ ...BASE, [name]: String(bad) }), new RegExp(`invalid: (.*, )?${name} \\(`), `${name}=${bad} is refused`);
    }
  }
});

test('a token key list is refused whole when any one entry is not a private key with a kid, without crashing on null', () => {
  const good = JSON.parse(KEYS)[0];
  const { d: _private, ...publicOnly } = good;
  for (const keys of [[good, 'k2'], [good, null], [null], [publicOnly], [good, { ...publicOnly, kid: 'pub' }], [{ ...good, kid: 7 }]]) {
    assert.match(
      problemsOf({ ...BASE, CONTROL_PLANE_TOKEN_KEYS: JSON.stringify(keys) }),
      /invalid: CONTROL_PLANE_TOKEN_KEYS \(expected a JSON array of private JWKs with kid\)/,
      JSON.stringify(keys),
    );
  }
});

test('a key of an unsupported type is refused even when it carries a P-256 curve name', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' });
  const raw = JSON.stringify([{ ...rsa, kid: 'rsa', crv: 'P-256' }]);
  assert.match(problemsOf({ ...BASE, CONTROL_PLANE_TOKEN_KEYS: raw }), /invalid: CONTROL_PLANE_TOKEN_KEYS \(key "rsa" is not a usable/);
});

test('a refused token key list is reported as a custom issue on CONTROL_PLANE_TOKEN_KEYS, the code loadConfig and callers sort by', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' });
  for (const raw of ['{not json', '[]', JSON.stringify([{ ...rsa, kid: 'rsa' }])]) {
    const result = controlPlaneEnvSchema.safeParse({ ...BASE, CONTROL_PLANE_TOKEN_KEYS: raw });
    assert.equal(result.success, false);
    assert.deepEqual(
      result.error?.issues.map((i) => [i.code, i.path]),
      [['custom', ['CONTROL_PLANE_TOKEN_KEYS']]],
      raw,
    );
  }
});
