import type { Db } from '../../../shared/db/pool.ts';
import type { Logger } from '../../../shared/log.ts';
import { createApprovalStore } from '../../approvals/store.ts';
import type { Environments } from '../../environments/environments.ts';
import type { SecretStore } from '../../secrets/store.ts';
import { type LocalApi, startLocalApi } from './app.ts';
import { adminSecretAuthenticator } from './auth.ts';
import { ensureLocalAdminSecret } from '../admin-secret.ts';

/**
 * The local API as the customer plane starts it: authenticated by the admin secret in the secret store
 * (`local-admin-secret`), generated and stored at the first start that enables the API. The secret is
 * never logged; an operator reads it from the store (the 0600 file or AWS Secrets Manager).
 */
export async function startLocalApiWithSecret(opts: {
  host: string;
  port: number;
  db: Db;
  environments: Environments;
  secrets: SecretStore;
  log: Logger;
}): Promise<LocalApi> {
  await ensureLocalAdminSecret(opts.secrets, opts.log);
  const secret = (await opts.secrets.get('local-admin-secret'))!;
  const api = await startLocalApi({
    host: opts.host,
    port: opts.port,
    store: createApprovalStore(opts.db),
    environments: opts.environments,
    authenticate: adminSecretAuthenticator(secret),
    log: opts.log,
  });
  opts.log.info({ url: api.url }, 'local API listening (approvals, environments); authenticate with the local admin secret');
  return api;
}
