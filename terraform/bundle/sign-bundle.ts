// Signing a bundle directory: hash every file into the manifest and sign exactly those bytes as a compact
// JWS (EdDSA/Ed25519), written beside the files as MANIFEST.json (readable copy) and MANIFEST.jws.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompactSign } from 'jose';
import { BundleFileError } from './errors.ts';
import type { LoadedKey } from './keys.ts';
import { buildManifest, JWS_TYPE, MANIFEST_JSON, MANIFEST_JWS, type Manifest, serializeManifest } from './manifest.ts';

export async function signBundle(dir: string, signing: LoadedKey, product: string, version: string): Promise<Manifest> {
  const manifest = buildManifest(dir, product, version);
  if (manifest.files.length === 0) throw new BundleFileError(`nothing to sign in ${dir}`);
  const payload = serializeManifest(manifest);
  const jws = await new CompactSign(new TextEncoder().encode(payload))
    .setProtectedHeader({ alg: 'EdDSA', kid: signing.kid, typ: JWS_TYPE })
    .sign(signing.key);
  writeFileSync(join(dir, MANIFEST_JSON), payload);
  writeFileSync(join(dir, MANIFEST_JWS), `${jws}\n`);
  return manifest;
}
