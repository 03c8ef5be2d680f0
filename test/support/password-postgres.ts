import { randomBytes } from 'node:crypto';
import { chmodSync } from 'node:fs';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { FAKE_AWS_CREDENTIALS } from '../../scripts/fakes/index.ts';
import { startEmbeddedPostgres } from '../../shared/db/embedded-postgres.ts';
import { silentLogger } from '../../shared/log.ts';
import { tempDir } from './cleanup.ts';

/**
 * A Postgres that checks passwords — the embedded one (scram-sha-256); the shared test server trusts
 * every login from loopback — with an admin connection, both ended when the test ends.
 */
export async function passwordCheckedPostgres(t: TestContext) {
  const dir = tempDir(t, 'pw-pg');
  chmodSync(dir, 0o711); // the server runs as `postgres` when the test runs as root
  const server = await startEmbeddedPostgres({ stateDir: dir, database: 'agentplane', log: silentLogger() });
  t.after(() => server.stop());
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  admin.on('error', () => {}); // the after hooks run in the order added: the server stops under this connection
  t.after(() => admin.end());
  return {
    serverUrl: server.url,
    admin,
    /**
     * A login role with this password (generated hex: nothing to escape), with a database of its own
     * when asked, and the URL a plane is given for it: the login and where, no password.
     */
    async login(prefix: string, password: string, o: { ownDatabase?: boolean } = {}) {
      const role = `${prefix}_${randomBytes(4).toString('hex')}`;
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
      if (o.ownDatabase) await admin.query(`CREATE DATABASE ${role} OWNER ${role}`);
      const url = new URL(server.url);
      url.username = role;
      url.password = '';
      if (o.ownDatabase) url.pathname = `/${role}`;
      return { role, url };
    },
  };
}

/** The fake's credentials where the AWS SDK's default chain finds them (this process's environment), until the test ends. */
export function fakeAwsCredentialsInEnv(t: TestContext): void {
  const saved = { AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY };
  t.after(() => {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  });
  process.env.AWS_ACCESS_KEY_ID = FAKE_AWS_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = FAKE_AWS_CREDENTIALS.secretAccessKey;
}
