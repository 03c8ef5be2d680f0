import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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

test('the control plane refuses to start without its token signing keys and names every missing variable', async () => {
  const res = await runMain('control-plane/main.ts', {});
  assert.equal(res.code, 78);
  assert.match(res.stderr, /missing required variable\(s\): .*DATABASE_URL/);
  assert.match(res.stderr, /CONTROL_PLANE_TOKEN_KEYS/);
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

test('the customer plane refuses to start without its tenant, control-plane URL and database, naming each', async () => {
  const res = await runMain('customer-plane/main.ts', { REPOS: 'bad' });
  assert.equal(res.code, 78);
  assert.match(res.stderr, /TENANT_ID/);
  assert.match(res.stderr, /CONTROL_PLANE_URL/);
  assert.match(res.stderr, /DATABASE_URL/);
  assert.match(res.stderr, /REPOS/);
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
  const child = spawn(process.execPath, [`${ROOT}control-plane/main.ts`], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: db.url,
      CONTROL_PLANE_TOKEN_KEYS: JSON.stringify([await generateSigningJwk()]),
      PORT: '0',
      STATE_DIR: stateDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // The moment the hub process runs, the control plane is still connecting to it.
  const deadline = Date.now() + 30_000;
  while (pidsWithArgument(hubConfig).length === 0) {
    assert.ok(Date.now() < deadline, 'the hub started');
    await sleep(5);
  }
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.doesNotMatch(stdout, /"event":"listening"/, 'the signal arrived during start-up, and the start did not announce readiness');
  assert.deepEqual(pidsWithArgument(hubConfig), [], 'the hub process was stopped');
});
