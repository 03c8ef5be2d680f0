import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { freePort, startNatsServer, type NatsServerProcess } from '../../shared/nats-server-process.ts';
import { ACCOUNTS_FILE, renderHubAccounts, renderHubConfig, type LeafUser } from './config.ts';

/**
 * The embedded default when no HUB_NATS_URL is configured: a nats-server child process on free
 * loopback ports, with a generated config and a fresh control-plane password for this run. The
 * enrolled tenants are in the config from the first start, so no reload races the first connection.
 */
export async function startEmbeddedHub(opts: {
  stateDir: string;
  leafPort?: number;
  tenants?: LeafUser[];
  leafTls?: { certFile: string; keyFile: string };
}): Promise<{
  process: NatsServerProcess;
  natsUrl: string;
  user: string;
  password: string;
  passwordBcrypt: string;
  accountsPath: string;
  pidFile: string;
  leafUrl: string;
}> {
  const dir = join(opts.stateDir, 'hub');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const user = 'control-plane';
  const password = randomBytes(24).toString('base64url');
  const passwordBcrypt = await bcrypt.hash(password, 10);
  const clientPort = await freePort();
  const leafPort = opts.leafPort ?? (await freePort());
  const pidFile = join(dir, 'hub.pid');
  const configPath = join(dir, 'hub.conf');
  const accountsPath = join(dir, ACCOUNTS_FILE);
  writeFileSync(
    accountsPath,
    renderHubAccounts({ controlPlaneUser: user, controlPlanePasswordBcrypt: passwordBcrypt, tenants: opts.tenants ?? [] }),
    { mode: 0o600 },
  );
  writeFileSync(configPath, renderHubConfig({ clientPort, leafPort, storeDir: join(dir, 'jetstream'), pidFile, leafTls: opts.leafTls }), {
    mode: 0o600,
  });
  const proc = await startNatsServer({ configPath, port: clientPort });
  return {
    process: proc,
    natsUrl: `nats://127.0.0.1:${clientPort}`,
    user,
    password,
    passwordBcrypt,
    accountsPath,
    pidFile,
    leafUrl: `${opts.leafTls ? 'tls' : 'nats-leaf'}://127.0.0.1:${leafPort}`,
  };
}
