import { z } from 'zod';
import { AgentplaneError } from '../shared/errors.ts';
import type { Logger } from '../shared/log.ts';
import { generateTenantKey, importTenantKey, type TenantSigningKey } from '../shared/signing.ts';
import type { SecretStore } from './secrets/store.ts';

const leafCredentialsSchema = z.object({ url: z.string(), username: z.string(), password: z.string() });
export type LeafCredentials = z.infer<typeof leafCredentialsSchema>;

/** Enrollment was refused or could not happen; `code` is the control plane's own code where it sent one. */
export class EnrollmentError extends AgentplaneError {}

/**
 * First start: generate the tenant's Ed25519 key here (the private half never leaves), store it,
 * then register the public half with the one-time token and store the leaf login we get back.
 * The key is stored before enrolling, so a crash in between retries with the same key.
 */
export async function ensureEnrolled(deps: {
  secrets: SecretStore;
  tenant: string;
  controlPlaneUrl: string;
  enrollToken?: string;
  log: Logger;
  fetchImpl?: typeof fetch;
}): Promise<{ key: TenantSigningKey; leaf: LeafCredentials }> {
  let rawKey = await deps.secrets.get('tenant-signing-key');
  if (!rawKey) {
    const generated = await generateTenantKey();
    rawKey = JSON.stringify(generated.privateJwk);
    await deps.secrets.put('tenant-signing-key', rawKey);
    deps.log.info({ kid: generated.kid }, 'tenant signing key generated');
  }
  const key = await importTenantKey(JSON.parse(rawKey));
  const storedLeaf = await deps.secrets.get('leaf-credentials');
  if (storedLeaf) return { key, leaf: leafCredentialsSchema.parse(JSON.parse(storedLeaf)) };

  if (!deps.enrollToken) throw new EnrollmentError('enroll_token_missing', 'not enrolled yet and ENROLL_TOKEN is not set');
  const res = await (deps.fetchImpl ?? fetch)(new URL('/v1/enroll', deps.controlPlaneUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${deps.enrollToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ publicKey: key.publicJwk }),
  }).catch((err) => {
    throw new EnrollmentError('control_plane_unreachable', 'could not reach the control plane to enroll', { cause: err });
  });
  const body = (await res.json().catch(() => ({}))) as { leaf?: unknown; tenant?: string; error?: { code?: string; message?: string } };
  if (!res.ok)
    throw new EnrollmentError(
      body.error?.code ?? 'enroll_failed',
      `enrollment refused (${res.status}): ${body.error?.message ?? 'no detail'}`,
    );
  if (body.tenant !== deps.tenant) throw new EnrollmentError('tenant_mismatch', 'the enrollment token is for another tenant');
  const leaf = leafCredentialsSchema.parse(body.leaf);
  await deps.secrets.put('leaf-credentials', JSON.stringify(leaf));
  deps.log.info({ tenant: deps.tenant, kid: key.kid }, 'enrolled with the control plane');
  return { key, leaf };
}
