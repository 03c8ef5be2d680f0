import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { freePort, startNatsServer, type NatsServerProcess } from '../../shared/nats-server-process.ts';
import type { HubConfigInput } from './config.ts';
import { renderHubConfig } from './config.ts';

/**
 * The embedded default when no HUB_NATS_URL is configured: a nats-server child process on free
 * loopback ports, with a generated config and a fresh control-plane password for this run.
 */
export async function startEmbeddedHub(opts: { stateDir: string; leafPort?: number }): Promise<{
  process: NatsServerProcess;
  natsUrl: string;
  user: string;
  password: string;
  configPath: string;
  base: Omit<HubConfigInput, 'tenants'>;
  leafUrl: string;
}> {
  const dir = join(opts.stateDir, 'hub');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const password = randomBytes(24).toString('base64url');
  const clientPort = await freePort();
  const leafPort = opts.leafPort ?? (await freePort());
  const base: Omit<HubConfigInput, 'tenants'> = {
    clientPort,
    leafPort,
    storeDir: join(dir, 'jetstream'),
    pidFile: join(dir, 'hub.pid'),
    controlPlaneUser: 'control-plane',
    controlPlanePasswordBcrypt: await bcrypt.hash(password, 10),
  };
  const configPath = join(dir, 'hub.conf');
  writeFileSync(configPath, renderHubConfig({ ...base, tenants: [] }), { mode: 0o600 });
  const proc = await startNatsServer({ configPath, port: clientPort });
  return {
    process: proc,
    natsUrl: `nats://127.0.0.1:${clientPort}`,
    user: 'control-plane',
    password,
    configPath,
    base,
    leafUrl: `nats-leaf://127.0.0.1:${leafPort}`,
  };
}
