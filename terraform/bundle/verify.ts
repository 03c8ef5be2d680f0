// `npm run bundle:verify [-- --public-key-file <path>] [--dir <bundle dir>]`
// Checks the JWS signature on the manifest with the vendor's public key, then every file against it
// (verify-bundle.ts). Exits 1 naming the first file that does not match.
import { args, main } from './cli.ts';
import { loadPublicKey } from './keys.ts';
import { verifyBundle } from './verify-bundle.ts';

await main(async () => {
  const opts = args({ 'public-key-file': { type: 'string' } });
  const trusted = await loadPublicKey({
    inline: process.env.AGENTPLANE_BUNDLE_PUBLIC_KEY,
    file: opts['public-key-file'] ?? process.env.AGENTPLANE_BUNDLE_PUBLIC_KEY_FILE,
    hint: 'set AGENTPLANE_BUNDLE_PUBLIC_KEY (key material) or AGENTPLANE_BUNDLE_PUBLIC_KEY_FILE, or pass --public-key-file',
  });
  const manifest = await verifyBundle(opts.dir, trusted);
  console.log(`verified ${manifest.files.length} files of ${manifest.product} ${manifest.version}, signed by key ${trusted.kid}`);
});
