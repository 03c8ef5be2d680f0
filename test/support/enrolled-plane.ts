import { join } from 'node:path';
import type { TestContext } from 'node:test';
import bcrypt from 'bcryptjs';
import { startEmbeddedHub } from '../../control-plane/hub/embedded.ts';
import { leafUsername } from '../../control-plane/hub/config.ts';
import { createFileSecretStore } from '../../customer-plane/secrets/file-store.ts';
import { generateTenantKey } from '../../shared/signing.ts';
import { tempDir } from './cleanup.ts';

/**
 * A state dir for a plane of `tenant` that enrolled earlier (signing key and leaf login in its secrets
 * file), against a real hub that knows the leaf login, so a start goes as far as a running leaf.
 */
export async function enrolledStateDir(t: TestContext, tenant: string): Promise<string> {
  const password = 'leaf-password';
  const hub = await startEmbeddedHub({
    stateDir: tempDir(t, 'hub'),
    tenants: [{ tenant, username: leafUsername(tenant), passwordBcrypt: await bcrypt.hash(password, 4) }],
  });
  t.after(() => hub.stop());
  const stateDir = tempDir(t, 'cust');
  const secrets = createFileSecretStore(join(stateDir, 'secrets.json'));
  await secrets.put('tenant-signing-key', JSON.stringify((await generateTenantKey()).privateJwk));
  await secrets.put('leaf-credentials', JSON.stringify({ url: hub.leafUrl, username: leafUsername(tenant), password }));
  return stateDir;
}
