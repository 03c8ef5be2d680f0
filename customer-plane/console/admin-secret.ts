import { randomBytes } from 'node:crypto';
import type { Logger } from '../../shared/log.ts';
import type { SecretStore } from '../secrets/store.ts';

/**
 * The local admin secret (`local-admin-secret` in the plane's own secret store): what the local API's
 * bearer and the console's login both check. Generated (32 random bytes) at the first start that
 * enables either, and stored; never logged — an operator reads it from the store.
 */
export async function ensureLocalAdminSecret(secrets: SecretStore, log: Logger): Promise<void> {
  if (await secrets.get('local-admin-secret')) return;
  await secrets.put('local-admin-secret', randomBytes(32).toString('base64url'));
  log.info('generated the local admin secret; it is in the secret store as `local-admin-secret`');
}
