import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import type { Logger } from '../../shared/log.ts';
import { renderHubConfig, leafUsername, type HubConfigInput, type LeafUser } from './config.ts';

/**
 * Provisions a tenant's leaf login on the hub: a random password (returned once, stored only as a
 * bcrypt hash), then the hub config is rewritten atomically and the server reloaded. Leaves already
 * connected stay connected through the reload.
 */
export type HubAdmin = {
  newLeafCredentials(tenant: string): Promise<{ username: string; password: string; passwordBcrypt: string }>;
  apply(tenants: LeafUser[]): Promise<void>;
  leafUrl: string;
};

export function createHubAdmin(deps: {
  configPath: string;
  base: Omit<HubConfigInput, 'tenants'>;
  leafUrl: string;
  log: Logger;
  reload?: () => void;
}): HubAdmin {
  const reload =
    deps.reload ??
    (() => {
      const pid = Number(readFileSync(deps.base.pidFile, 'utf8').trim());
      if (!Number.isInteger(pid) || pid <= 1) throw new Error('hub pid file does not hold a pid');
      process.kill(pid, 'SIGHUP');
    });
  return {
    leafUrl: deps.leafUrl,
    async newLeafCredentials(tenant) {
      const password = randomBytes(32).toString('base64url');
      return { username: leafUsername(tenant), password, passwordBcrypt: await bcrypt.hash(password, 10) };
    },
    async apply(tenants) {
      const tmp = `${deps.configPath}.${process.pid}.tmp`;
      writeFileSync(tmp, renderHubConfig({ ...deps.base, tenants }), { mode: 0o600 });
      renameSync(tmp, deps.configPath);
      reload();
      deps.log.info({ tenants: tenants.length }, 'hub leaf logins reloaded');
    },
  };
}
