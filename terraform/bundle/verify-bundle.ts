// Verifying a bundle directory: the JWS signature on the manifest with the vendor's public key, then every
// file against it. Modified, missing, added and renamed files all fail, naming the first in path order.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { BundleVerifyError } from './errors.ts';
import type { LoadedKey } from './keys.ts';
import { compare, JWS_TYPE, MANIFEST_JSON, MANIFEST_JWS, type Manifest, manifestSchema } from './manifest.ts';

export async function verifyBundle(dir: string, trusted: LoadedKey): Promise<Manifest> {
  const jwsPath = join(dir, MANIFEST_JWS);
  if (!existsSync(jwsPath)) throw new BundleVerifyError(`${MANIFEST_JWS}: missing — this bundle is not signed`);
  const jws = readFileSync(jwsPath, 'utf8').trim();

  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw new BundleVerifyError(`${MANIFEST_JWS}: not a compact JWS`);
  }
  if (header.typ !== JWS_TYPE) throw new BundleVerifyError(`${MANIFEST_JWS}: typ is ${String(header.typ)}, expected ${JWS_TYPE}`);
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, trusted.key, { algorithms: ['EdDSA'] }));
  } catch {
    throw new BundleVerifyError(
      `${MANIFEST_JWS}: signature does not verify with the given public key (key ${trusted.kid}; manifest names ${String(header.kid)})`,
    );
  }

  const text = new TextDecoder().decode(payload);
  const parsed = manifestSchema.safeParse(parseJson(text));
  if (!parsed.success) throw new BundleVerifyError(`${MANIFEST_JWS}: signed payload is not a bundle manifest`);
  // MANIFEST.json is the readable copy for people and for checking with standard tools; it must be the
  // signed payload byte for byte, or someone is showing reviewers a different list than was signed. The
  // Node-free verifier needs it too, so both verifiers refuse a bundle without it.
  const copy = join(dir, MANIFEST_JSON);
  if (!existsSync(copy)) throw new BundleVerifyError(`${MANIFEST_JSON}: missing`);
  if (readFileSync(copy, 'utf8') !== text) throw new BundleVerifyError(`${MANIFEST_JSON}: differs from the signed manifest`);

  const mismatches = compare(dir, parsed.data);
  if (mismatches.length > 0) {
    const first = mismatches[0];
    const more = mismatches.length > 1 ? ` (and ${mismatches.length - 1} more)` : '';
    throw new BundleVerifyError(`${first.path}: ${first.kind}${more}`);
  }
  return parsed.data;
}

/** A signed payload that is not JSON at all is refused like any other payload that is not a manifest. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
