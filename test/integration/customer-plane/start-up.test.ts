import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { customerPlaneEnvSchema } from '../../../customer-plane/config.ts';
import { createCustomerPlane } from '../../../customer-plane/create-customer-plane.ts';
import { ConfigError } from '../../../shared/errors.ts';
import { createLogger } from '../../../shared/log.ts';
import { pidsWithArgument } from '../../support/processes.ts';
import { tempDir } from '../../support/cleanup.ts';
import { enrolledStateDir as enrolledStateDirOf } from '../../support/enrolled-plane.ts';
import { consoleClient } from '../../support/console.ts';
import { createTestDatabase } from '../../../scripts/topology/scratch-database.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TENANT = '00000000-0000-4000-8000-0000000000c1';
const silent = createLogger({ service: 'customer-plane', level: 'silent' });

const enrolledStateDir = (t: TestContext) => enrolledStateDirOf(t, TENANT);

const leafConfigOf = (stateDir: string) => join(stateDir, 'leaf', 'leaf.conf');

/** The customer plane's own database (its run ledger), dropped when the test ends. */
async function ledgerDatabase(t: TestContext): Promise<string> {
  const db = await createTestDatabase('startup');
  t.after(() => db.drop());
  return db.url;
}

/**
 * The configuration of a plane started on `stateDir` with a database of its own, and `extra` on top:
 * the state dir is enrolled already, so the control-plane URL (a closed port) is never called.
 */
async function enrolledPlaneEnv(t: TestContext, stateDir: string, extra: Record<string, string> = {}) {
  return customerPlaneEnvSchema.parse({
    DATABASE_URL: await ledgerDatabase(t),
    TENANT_ID: TENANT,
    CONTROL_PLANE_URL: 'http://127.0.0.1:9',
    STATE_DIR: stateDir,
    OPENAI_API_KEY: 'unused',
    ...extra,
  });
}

/** A control plane that refuses every call and counts them: a start that must stop before it enrolls calls it 0 times. */
async function refusingControlPlane(t: TestContext): Promise<{ url: string; calls(): number }> {
  let calls = 0;
  const server = createServer((_req, res) => {
    calls++;
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, calls: () => calls };
}

/** `customer-plane/main.ts` as the service runs it, with only `env` (and PATH): how it exited and what it wrote to stderr. */
function runPlaneMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'customer-plane/main.ts')],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

test('a start-up error after the leaf started stops the leaf: no nats-server outlives the failed start', async (t) => {
  const stateDir = await enrolledStateDir(t);
  // A corrupt sequence file is found only after the leaf and both connections are up.
  writeFileSync(join(stateDir, 'egress.seq'), 'not a number');
  const env = await enrolledPlaneEnv(t, stateDir);
  await assert.rejects(createCustomerPlane({ env, log: silent }), /sequence file .* is corrupt/);
  assert.ok(existsSync(leafConfigOf(stateDir)), 'the start got as far as starting the leaf');
  assert.deepEqual(pidsWithArgument(leafConfigOf(stateDir)), [], 'the leaf process was stopped');
});

test('the service process ends on that error with its leaf already stopped', async (t) => {
  const stateDir = await enrolledStateDir(t);
  writeFileSync(join(stateDir, 'egress.seq'), 'not a number');
  const databaseUrl = await ledgerDatabase(t);
  const res = await runPlaneMain({
    DATABASE_URL: databaseUrl,
    TENANT_ID: TENANT,
    CONTROL_PLANE_URL: 'http://127.0.0.1:9',
    STATE_DIR: stateDir,
    OPENAI_API_KEY: 'x',
  });
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stderr, /customer-plane failed to start: .*sequence file .* is corrupt/);
  assert.ok(existsSync(leafConfigOf(stateDir)));
  assert.deepEqual(pidsWithArgument(leafConfigOf(stateDir)), []);
});

test('missing LLM keys stop the start before it enrolls, writes a key or starts a leaf', async (t) => {
  const controlPlane = await refusingControlPlane(t);
  const stateDir = tempDir(t, 'cust');
  const env = customerPlaneEnvSchema.parse({
    TENANT_ID: TENANT,
    CONTROL_PLANE_URL: controlPlane.url,
    ENROLL_TOKEN: 'one-time-token',
    STATE_DIR: stateDir,
    // Never reached: the start stops before the ledger is touched.
    DATABASE_URL: 'postgres://postgres@127.0.0.1:9/unused',
  });
  await assert.rejects(createCustomerPlane({ env, log: silent }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /OPENAI_API_KEY or ANTHROPIC_API_KEY/);
    return true;
  });
  assert.equal(controlPlane.calls(), 0, 'the one-time enrollment token was not spent');
  const secretsFile = join(stateDir, 'secrets.json');
  assert.ok(!existsSync(secretsFile) || !readFileSync(secretsFile, 'utf8').includes('tenant-signing-key'), 'no key generated');
  assert.ok(!existsSync(join(stateDir, 'leaf')), 'no leaf was configured or started');
});

test('a malformed environments file stops the plane before it enrolls or starts anything: exit 78, one message naming every problem', async (t) => {
  const controlPlane = await refusingControlPlane(t);
  const stateDir = tempDir(t, 'cust');
  const envFile = join(stateDir, 'environments.yaml');
  writeFileSync(
    envFile,
    [
      'environments:',
      '  production:',
      '    secrets: { prefix: prod }',
      '    templates: [code-review, nope]',
      '    approval: { deadlineSeconds: 60, warnBeforeSeconds: 90 }',
      '    writes: allow',
    ].join('\n'),
  );
  const res = await runPlaneMain({
    DATABASE_URL: 'postgres://postgres@127.0.0.1:9/unused',
    TENANT_ID: TENANT,
    CONTROL_PLANE_URL: controlPlane.url,
    ENROLL_TOKEN: 'one-time-token',
    STATE_DIR: stateDir,
    OPENAI_API_KEY: 'x',
    ENVIRONMENTS_FILE: envFile,
  });
  assert.equal(res.code, 78, res.stderr);
  const lines = res.stderr.trim().split('\n');
  assert.equal(lines.length, 1, 'one message');
  for (const problem of [
    'environments.production.secrets.prefix',
    'environments.production.templates.1',
    'environments.production.approval.warnBeforeSeconds: must be less than deadlineSeconds',
    'environments.production.writes: production must ask before every write',
    'environments.production.reviewed: production runs only reviewed templates',
  ])
    assert.ok(lines[0].includes(problem), `${problem} in: ${lines[0]}`);
  assert.equal(controlPlane.calls(), 0, 'the one-time enrollment token was not spent');
  assert.ok(!existsSync(join(stateDir, 'leaf')), 'no leaf was configured or started');
});

test('with LOCAL_API_PORT the plane serves the local API on loopback, with an admin secret it generated into its own secret store', async (t) => {
  const stateDir = await enrolledStateDir(t);
  const env = await enrolledPlaneEnv(t, stateDir, { LOCAL_API_PORT: '0' });
  const plane = await createCustomerPlane({ env, log: silent });
  t.after(() => plane.stop());
  const secret = JSON.parse(readFileSync(join(stateDir, 'secrets.json'), 'utf8'))['local-admin-secret'];
  assert.match(secret, /^[A-Za-z0-9_-]{43}$/, '32 random bytes');
  const url = plane.localApiUrl!;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal((await fetch(`${url}/v1/approvals`)).status, 401);
  const ok = await fetch(`${url}/v1/environments`, { headers: { authorization: `Bearer ${secret}` } });
  assert.deepEqual(
    ((await ok.json()) as { environments: Array<{ name: string }> }).environments.map((e) => e.name),
    ['sandbox', 'preview', 'production'],
  );
  await plane.stop();
  await assert.rejects(fetch(`${url}/v1/approvals`), 'closed with the plane');
});

test('with CONSOLE_PORT the plane serves the console on loopback: its pages need a login with the admin secret it generated; it stops with the plane', async (t) => {
  const stateDir = await enrolledStateDir(t);
  const env = await enrolledPlaneEnv(t, stateDir, { CONSOLE_PORT: '0' });
  const plane = await createCustomerPlane({ env, log: silent });
  t.after(() => plane.stop());
  assert.equal(plane.localApiUrl, undefined, 'the console needs no local API');
  const url = plane.consoleUrl!;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const secret = JSON.parse(readFileSync(join(stateDir, 'secrets.json'), 'utf8'))['local-admin-secret'];
  const browser = consoleClient(url);
  assert.equal((await browser.get('/environments')).location, '/login');
  assert.equal((await browser.login('wrong')).status, 401);
  assert.equal((await browser.login(secret)).status, 303);
  const page = await browser.get('/environments');
  assert.deepEqual(
    [...page.text.matchAll(/<section class="environment">\n<h2>([a-z]+)<\/h2>/g)].map((m) => m[1]),
    ['sandbox', 'preview', 'production'],
  );
  assert.equal((await browser.get('/runs')).status, 200);
  await plane.stop();
  await assert.rejects(fetch(`${url}/login`), 'closed with the plane');
});
