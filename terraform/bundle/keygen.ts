// `npm run bundle:keygen -- --out <dir>`
// Makes the vendor's bundle-signing key pair: <dir>/bundle-signing-key.pem (PKCS#8, mode 0600) and
// <dir>/bundle-signing-key.pub.pem (SPKI, published to customers). Refuses to overwrite either.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { main } from './cli.ts';

await main(async () => {
  const { values } = parseArgs({ options: { out: { type: 'string' } }, strict: true });
  if (!values.out) throw new Error('pass --out <directory> for the new key pair (keep it outside the repository)');
  const out = resolve(values.out);
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const priv = join(out, 'bundle-signing-key.pem');
  const pub = join(out, 'bundle-signing-key.pub.pem');
  // Replacing either half would orphan every bundle signed with the old key; checked for both before
  // anything is written, so a folder holding only the published half does not get a stray new private key.
  for (const f of [priv, pub]) if (existsSync(f)) throw new Error(`${f} already exists; keygen never replaces a key`);
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
  // "wx" as well: a key another process wrote since the check is not replaced either.
  writeFileSync(priv, await exportPKCS8(privateKey), { mode: 0o600, flag: 'wx' });
  writeFileSync(pub, await exportSPKI(publicKey), { mode: 0o644, flag: 'wx' });
  console.log(`private key: ${priv} (0600)\npublic key:  ${pub}\nkid:         ${kid}`);
});
