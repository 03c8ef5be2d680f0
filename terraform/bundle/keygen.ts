// `npm run bundle:keygen -- --out <dir>`
// Makes the vendor's bundle-signing key pair: <dir>/bundle-signing-key.pem (PKCS#8, mode 0600) and
// <dir>/bundle-signing-key.pub.pem (SPKI, published to customers). Refuses to overwrite either.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { main } from './cli.ts';

await main(async () => {
  const { values } = parseArgs({ options: { out: { type: 'string' } }, strict: true });
  if (!values.out) throw new Error('pass --out <directory> for the new key pair (keep it outside the repository)');
  const out = resolve(values.out);
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
  const priv = join(out, 'bundle-signing-key.pem');
  const pub = join(out, 'bundle-signing-key.pub.pem');
  // "wx": fail rather than replace an existing key, which would orphan every bundle signed with it.
  writeFileSync(priv, await exportPKCS8(privateKey), { mode: 0o600, flag: 'wx' });
  writeFileSync(pub, await exportSPKI(publicKey), { mode: 0o644, flag: 'wx' });
  console.log(`private key: ${priv} (0600)\npublic key:  ${pub}\nkid:         ${kid}`);
});
