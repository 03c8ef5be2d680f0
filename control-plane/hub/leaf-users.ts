import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import type { Logger } from '../../shared/log.ts';
import { renderHubAccounts, leafUsername, type LeafUser } from './config.ts';

/**
 * Provisions tenants' leaf logins on the hub: a random password (returned once, stored only as a
 * bcrypt hash), then the hub's accounts file is rewritten atomically and the server reloaded.
 * Leaves already connected stay connected through the reload.
 */
export type HubAdmin = {
  newLeafCredentials(tenant: string): Promise<{ username: string; password: string; passwordBcrypt: string }>;
  apply(tenants: LeafUser[]): Promise<void>;
  leafUrl: string;
};

export function createHubAdmin(deps: {
  /** The accounts include file of the hub config. */
  accountsPath: string;
  pidFile: string;
  controlPlaneUser: string;
  controlPlanePasswordBcrypt: string;
  leafUrl: string;
  log: Logger;
}): HubAdmin {
  const reload = () => {
    const pid = Number(readFileSync(deps.pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1) throw new Error('hub pid file does not hold a pid');
    process.kill(pid, 'SIGHUP');
  };
  return {
    leafUrl: deps.leafUrl,
    async newLeafCredentials(tenant) {
      const password = randomBytes(32).toString('base64url');
      return { username: leafUsername(tenant), password, passwordBcrypt: await bcrypt.hash(password, 10) };
    },
    async apply(tenants) {
      const text = renderHubAccounts({
        controlPlaneUser: deps.controlPlaneUser,
        controlPlanePasswordBcrypt: deps.controlPlanePasswordBcrypt,
        tenants,
      });
      const tmp = `${deps.accountsPath}.${process.pid}.tmp`;
      writeFileSync(tmp, text, { mode: 0o600 });
      renameSync(tmp, deps.accountsPath);
      reload();
      deps.log.info({ tenants: tenants.length }, 'hub leaf logins reloaded');
    },
  };
}
