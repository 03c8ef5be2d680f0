// `npm run bundle:verify [-- --public-key-file <path>] [--dir <bundle dir>]`
// Checks the JWS signature on the manifest with the vendor's public key, then every file against it:
// modified, missing and added files all fail. Exits 1 naming the first file that does not match.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { args, main } from './cli.ts';
import { BundleVerifyError } from './errors.ts';
import { loadPublicKey } from './keys.ts';
import { compare, JWS_TYPE, MANIFEST_JSON, MANIFEST_JWS, manifestSchema } from './manifest.ts';

await main(async () => {
  const opts = args({ 'public-key-file': { type: 'string' } });
  const trusted = await loadPublicKey({
    inline: process.env.AGENTPLANE_BUNDLE_PUBLIC_KEY,
    file: opts['public-key-file'] ?? process.env.AGENTPLANE_BUNDLE_PUBLIC_KEY_FILE,
    hint: 'set AGENTPLANE_BUNDLE_PUBLIC_KEY (key material) or AGENTPLANE_BUNDLE_PUBLIC_KEY_FILE, or pass --public-key-file',
  });

  const jwsPath = join(opts.dir, MANIFEST_JWS);
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
  const parsed = manifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new BundleVerifyError(`${MANIFEST_JWS}: signed payload is not a bundle manifest`);
  // MANIFEST.json is the readable copy for people and for checking with standard tools; it must be the
  // signed payload byte for byte, or someone is showing reviewers a different list than was signed.
  const copy = join(opts.dir, MANIFEST_JSON);
  if (existsSync(copy) && readFileSync(copy, 'utf8') !== text)
    throw new BundleVerifyError(`${MANIFEST_JSON}: differs from the signed manifest`);

  const mismatches = compare(opts.dir, parsed.data);
  if (mismatches.length > 0) {
    const first = mismatches[0];
    const more = mismatches.length > 1 ? ` (and ${mismatches.length - 1} more)` : '';
    throw new BundleVerifyError(`${first.path}: ${first.kind}${more}`);
  }
  console.log(`verified ${parsed.data.files.length} files of ${parsed.data.product} ${parsed.data.version}, signed by key ${trusted.kid}`);
});
