import { type TestContext, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createTestDatabase } from '../../scripts/topology/scratch-database.ts';
import { generateSigningJwk } from '../../shared/tokens.ts';
import { pidsWithArgument } from '../support/processes.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function runMain(script: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [ROOT + script],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * The control plane's main as a child with `env`, sent SIGTERM the moment a process with argument
 * `started.arg` runs (the embedded hub's config, the embedded Postgres's data dir): a stop that arrives
 * while it is still starting. Killed at the end of the test if it is still there. What it exited with.
 */
async function sigtermDuringStartUp(
  t: TestContext,
  env: Record<string, string>,
  started: { arg: string; what: string; withinMs: number },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [`${ROOT}control-plane/main.ts`], {
    env: {
      PATH: process.env.PATH ?? '',
      CONTROL_PLANE_TOKEN_KEYS: JSON.stringify([await generateSigningJwk()]),
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + started.withinMs;
  while (pidsWithArgument(started.arg).length === 0) {
    assert.ok(Date.now() < deadline, started.what);
    await sleep(5);
  }
  child.kill('SIGTERM');
  return { code: await exited, stdout, stderr };
}

test('the control plane refuses to start without its token signing keys and names every missing variable', async () => {
  const res = await runMain('control-plane/main.ts', {});
  assert.equal(res.code, 78);
  assert.match(res.stderr, /missing required variable\(s\): CONTROL_PLANE_TOKEN_KEYS/);
  assert.doesNotMatch(res.stderr, /DATABASE_URL/, 'without it the embedded Postgres is used');
  assert.doesNotMatch(res.stderr, /at .*\.ts:\d+/, 'a configuration error is a message, not a stack trace');
});

test('the control plane refuses token keys that are not private JWKs', async () => {
  const res = await runMain('control-plane/main.ts', {
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
    CONTROL_PLANE_TOKEN_KEYS: '[{"kty":"OKP"}]',
  });
  assert.equal(res.code, 78);
  assert.match(res.stderr, /CONTROL_PLANE_TOKEN_KEYS \(expected a JSON array of private JWKs with kid\)/);
});

test('the customer plane refuses to start without its tenant and control-plane URL, naming each', async () => {
  const res = await runMain('customer-plane/main.ts', { REPOS: 'bad', DATABASE_URL: 'mysql://x' });
  assert.equal(res.code, 78);
  assert.match(res.stderr, /TENANT_ID/);
  assert.match(res.stderr, /CONTROL_PLANE_URL/);
  assert.match(res.stderr, /DATABASE_URL \(expected a postgres:\/\/ URL\)/);
  assert.match(res.stderr, /REPOS/);
});

test('first run without Postgres or nats-server: one line naming the missing piece and how to provide it, exit 78, no stack trace', async (t) => {
  const keys = JSON.stringify([await generateSigningJwk()]);
  // Its own database: migrations run before the hub starts, and must never land in a shared one.
  const db = await createTestDatabase('firstrun');
  t.after(() => db.drop());
  const base = { CONTROL_PLANE_TOKEN_KEYS: keys, PORT: '0', STATE_DIR: join(tmpdir(), `ap-firstrun-${process.pid}`) };
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    [
      'no Postgres',
      { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/agentplane' },
      /no Postgres is listening at 127\.0\.0\.1:1 \(DATABASE_URL\): start it there, point DATABASE_URL at yours, or unset DATABASE_URL to use the embedded Postgres/,
    ],
    [
      'no such database',
      { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/no_such_db_here' },
      /database no_such_db_here does not exist at 127\.0\.0\.1:5432 \(DATABASE_URL\): create it/,
    ],
    [
      'no nats-server',
      { DATABASE_URL: db.url, NATS_SERVER_BIN: '/nonexistent/nats-server' },
      /nats-server not found at \/nonexistent\/nats-server: install it .* or set NATS_SERVER_BIN/,
    ],
  ];
  for (const [name, env, expected] of cases) {
    const res = await runMain('control-plane/main.ts', { ...base, ...env });
    assert.equal(res.code, 78, `${name}: ${res.stderr}`);
    assert.match(res.stderr, expected, name);
    assert.doesNotMatch(res.stderr, /at .*\.(ts|js):\d+/, `${name}: a message, not a stack trace`);
    assert.doesNotMatch(res.stderr, /ECONNREFUSED|ENOENT/, `${name}: not the raw error`);
  }
  rmSync(base.STATE_DIR, { recursive: true, force: true });
});

test('an external hub without its other HUB_* variables is refused before migrations touch the database', async (t) => {
  const db = await createTestDatabase('cfg');
  t.after(() => db.drop());
  const res = await runMain('control-plane/main.ts', {
    DATABASE_URL: db.url,
    CONTROL_PLANE_TOKEN_KEYS: JSON.stringify([await generateSigningJwk()]),
    HUB_NATS_URL: 'nats://127.0.0.1:9',
  });
  assert.equal(res.code, 78, res.stderr);
  for (const name of ['HUB_NATS_USER', 'HUB_NATS_PASSWORD', 'HUB_ACCOUNTS_PATH', 'HUB_PID_FILE', 'HUB_LEAF_URL']) {
    assert.match(res.stderr, new RegExp(`${name} \\(required with HUB_NATS_URL\\)`));
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const { rows } = await client.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'");
  await client.end();
  assert.equal(rows[0].n, 0, 'no migration ran: the database is as it was');
});

test('a port already in use ends the start with the embedded hub stopped, not left running', async (t) => {
  const db = await createTestDatabase('cfg');
  t.after(() => db.drop());
  const stateDir = mkdtempSync(join(tmpdir(), 'ap-cp-state-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => taken.close());
  const res = await runMain('control-plane/main.ts', {
    DATABASE_URL: db.url,
    CONTROL_PLANE_TOKEN_KEYS: JSON.stringify([await generateSigningJwk()]),
    PORT: String((taken.address() as { port: number }).port),
    STATE_DIR: stateDir,
  });
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stderr, /EADDRINUSE/);
  const hubConfig = join(stateDir, 'hub', 'hub.conf');
  assert.ok(existsSync(hubConfig), 'the start got as far as the embedded hub');
  assert.deepEqual(pidsWithArgument(hubConfig), [], 'the hub process was stopped');
});

test('SIGTERM while the control plane is still starting stops the embedded hub it had started, then exits', async (t) => {
  const db = await createTestDatabase('cfg');
  t.after(() => db.drop());
  const stateDir = mkdtempSync(join(tmpdir(), 'ap-cp-state-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const hubConfig = join(stateDir, 'hub', 'hub.conf');
  // The moment the hub process runs, the control plane is still connecting to it.
  const { code, stdout, stderr } = await sigtermDuringStartUp(
    t,
    { DATABASE_URL: db.url, STATE_DIR: stateDir },
    { arg: hubConfig, what: 'the hub started', withinMs: 30_000 },
  );
  assert.equal(code, 0, `a stop during start-up exits 0; it printed: ${stderr}`);
  assert.doesNotMatch(stdout, /"event":"listening"/, 'the signal arrived during start-up, and the start did not announce readiness');
  assert.deepEqual(pidsWithArgument(hubConfig), [], 'the hub process was stopped');
});

test('SIGTERM while the control plane is still starting its embedded Postgres (no DATABASE_URL) stops that Postgres, then exits', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'ap-cp-state-'));
  // Passable by the postgres user the embedded server runs as when the test runs as root.
  chmodSync(stateDir, 0o711);
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const dataDir = join(stateDir, 'postgres', 'data');
  // The moment the postgres server process runs, the control plane is still waiting for it to accept.
  const { code, stdout, stderr } = await sigtermDuringStartUp(
    t,
    { STATE_DIR: stateDir },
    { arg: dataDir, what: 'the embedded Postgres started', withinMs: 60_000 },
  );
  assert.equal(code, 0, `a stop during start-up exits 0; it printed: ${stderr}`);
  assert.doesNotMatch(stdout, /"event":"listening"/, 'the signal arrived during start-up');
  for (let i = 0; i < 50 && pidsWithArgument(dataDir).length; i++) await sleep(100);
  assert.deepEqual(pidsWithArgument(dataDir), [], 'the Postgres server was stopped');
});
