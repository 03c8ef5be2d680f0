import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../../shared/db/embedded-postgres.ts';
import { silentLogger } from '../../../shared/log.ts';
import { pidsWithArgumentUnder } from '../../support/processes.ts';

test('the embedded Postgres: loopback only, a generated password kept 0600 (no login without it), not run as root, data and port kept across a restart, nothing left running after stop', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'ap-embpg-'));
  chmodSync(stateDir, 0o711);
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const first = await startEmbeddedPostgres({ stateDir, database: 'agentplane', log: silentLogger() });
  t.after(() => first.stop());
  const url = new URL(first.url);
  assert.equal(url.hostname, '127.0.0.1');
  assert.equal(statSync(join(first.dir, 'password')).mode & 0o777, 0o600);
  const client = new pg.Client({ connectionString: first.url });
  await client.connect();
  const settings = await client.query(
    "SELECT name, setting FROM pg_settings WHERE name IN ('listen_addresses', 'unix_socket_directories', 'password_encryption') ORDER BY name",
  );
  assert.deepEqual(Object.fromEntries(settings.rows.map((r) => [r.name, r.setting])), {
    listen_addresses: '127.0.0.1',
    password_encryption: 'scram-sha-256',
    unix_socket_directories: '',
  });
  await client.query('CREATE TABLE kept (n int)');
  await client.query('INSERT INTO kept VALUES (42)');
  await client.end();
  const pid = pidsWithArgumentUnder(stateDir)[0];
  assert.ok(pid, 'the server runs');
  const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  assert.notEqual(uid, 0, 'never as root');

  const noPassword = new URL(first.url);
  noPassword.password = '';
  const refused = await new pg.Client({ connectionString: noPassword.toString() }).connect().then(
    () => 'connected',
    () => 'refused',
  );
  assert.equal(refused, 'refused', 'no login without the password');

  await first.stop();
  assert.deepEqual(pidsWithArgumentUnder(stateDir), [], 'stopped');
  const second = await startEmbeddedPostgres({ stateDir, database: 'agentplane', log: silentLogger() });
  t.after(() => second.stop());
  assert.equal(second.port, first.port, 'the same port');
  const again = new pg.Client({ connectionString: second.url });
  await again.connect();
  assert.equal((await again.query('SELECT n FROM kept')).rows[0].n, 42, 'the same data');
  await again.end();
  await second.stop();
  assert.deepEqual(pidsWithArgumentUnder(stateDir), []);
});
