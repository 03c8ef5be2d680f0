// `npm run bundle:sign [-- --key-file <path>] [--dir <bundle dir>]`
// Hashes every file of the bundle into MANIFEST.json and signs exactly those bytes as a compact JWS
// (EdDSA/Ed25519) in MANIFEST.jws (sign-bundle.ts). The key comes from the environment or a file, never
// from the repo.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { args, DEFAULT_DIST, main } from './cli.ts';
import { loadPrivateKey } from './keys.ts';
import { signBundle } from './sign-bundle.ts';

const PRODUCT = 'agentplane-customer-plane';

function productVersion(): string {
  const pkg = JSON.parse(readFileSync(join(DEFAULT_DIST, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

await main(async () => {
  const opts = args({ 'key-file': { type: 'string' } });
  const signing = await loadPrivateKey({
    inline: process.env.AGENTPLANE_BUNDLE_SIGNING_KEY,
    file: opts['key-file'] ?? process.env.AGENTPLANE_BUNDLE_SIGNING_KEY_FILE,
    hint: 'set AGENTPLANE_BUNDLE_SIGNING_KEY (key material) or AGENTPLANE_BUNDLE_SIGNING_KEY_FILE, or pass --key-file',
  });
  const manifest = await signBundle(opts.dir, signing, PRODUCT, productVersion());
  console.log(`signed ${manifest.files.length} files in ${opts.dir} with key ${signing.kid}`);
});
