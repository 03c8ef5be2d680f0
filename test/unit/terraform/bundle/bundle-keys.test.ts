// Loading the bundle-signing keys in-process: Ed25519 only, as JWK or PEM, from key material or a file, with
// no default; each refusal says what was wrong. The key id a signer writes into the JWS header is the one a
// verifier reports, whichever form each side holds the key in.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { loadPrivateKey, loadPublicKey } from '../../../../terraform/bundle/keys.ts';

const root = mkdtempSync(join(tmpdir(), 'agentplane-bundle-keys-'));
after(() => rmSync(root, { recursive: true, force: true }));
const hint = 'set THE_KEY_VARIABLE';

async function ed25519() {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const pubJwk = await exportJWK(publicKey);
  return {
    pkcs8: await exportPKCS8(privateKey),
    spki: await exportSPKI(publicKey),
    privJwk: await exportJWK(privateKey),
    pubJwk,
    thumbprint: await calculateJwkThumbprint(pubJwk, 'sha256'),
  };
}

/** Rejects with the key error (exit code 2, "the tool was not given what it needs") and this message. */
async function keyRefused(p: Promise<unknown>, message: RegExp) {
  await assert.rejects(p, (err: Error & { code?: string; exitCode?: number }) => {
    assert.equal(err.code, 'bundle_key_invalid', err.message);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, message);
    return true;
  });
}

test('a PEM key pair loads; both halves carry the RFC 7638 thumbprint as their kid', async () => {
  const k = await ed25519();
  const priv = await loadPrivateKey({ inline: k.pkcs8, hint });
  const pub = await loadPublicKey({ inline: k.spki, hint });
  assert.equal(priv.kid, k.thumbprint);
  assert.equal(pub.kid, k.thumbprint);
  assert.equal(priv.key.type, 'private');
  assert.equal(pub.key.type, 'public');
  assert.equal(pub.key.algorithm.name, 'Ed25519');
});

test('a JWK keeps its own kid; without one its thumbprint is the kid, the same as for the PEM form', async () => {
  const k = await ed25519();
  assert.equal((await loadPrivateKey({ inline: JSON.stringify({ ...k.privJwk, kid: 'vendor-2026' }), hint })).kid, 'vendor-2026');
  assert.equal((await loadPublicKey({ inline: JSON.stringify({ ...k.pubJwk, kid: 'vendor-2026' }), hint })).kid, 'vendor-2026');
  assert.equal((await loadPrivateKey({ inline: JSON.stringify(k.privJwk), hint })).kid, k.thumbprint);
  assert.equal((await loadPublicKey({ inline: JSON.stringify(k.pubJwk), hint })).kid, k.thumbprint);
  // Extra members (alg, use) do not change the thumbprint: it covers kty, crv and x only.
  assert.equal((await loadPublicKey({ inline: JSON.stringify({ ...k.pubJwk, alg: 'EdDSA', use: 'sig' }), hint })).kid, k.thumbprint);
});

test('a private JWK given as the public key is reduced to its public half', async () => {
  const k = await ed25519();
  const pub = await loadPublicKey({ inline: JSON.stringify(k.privJwk), hint });
  assert.equal(pub.key.type, 'public');
  assert.equal(pub.kid, k.thumbprint);
});

test('a key file is read, with surrounding whitespace, and an unreadable one is named', async () => {
  const k = await ed25519();
  const file = join(root, 'key.pem');
  writeFileSync(file, `\n\n${k.pkcs8}\n\n`);
  assert.equal((await loadPrivateKey({ file, hint })).kid, k.thumbprint);
  const jwkFile = join(root, 'key.jwk');
  writeFileSync(jwkFile, `  ${JSON.stringify(k.pubJwk)}\n`);
  assert.equal((await loadPublicKey({ file: jwkFile, hint })).kid, k.thumbprint);
  const missing = join(root, 'nope.pem');
  await keyRefused(loadPrivateKey({ file: missing, hint }), new RegExp(`^cannot read key file ${missing}: ENOENT`));
  await keyRefused(loadPublicKey({ file: missing, hint }), /^cannot read key file /);
});

test('no key, or only whitespace, is refused with the hint: there is no default key', async () => {
  for (const inline of [undefined, '', '  \n']) {
    await keyRefused(loadPrivateKey({ inline, hint }), /^no key given: set THE_KEY_VARIABLE\. There is no default key\.$/);
    await keyRefused(loadPublicKey({ inline, hint }), /^no key given: set THE_KEY_VARIABLE\. There is no default key\.$/);
  }
});

test('a public JWK cannot sign', async () => {
  const k = await ed25519();
  await keyRefused(
    loadPrivateKey({ inline: JSON.stringify(k.pubJwk), hint }),
    /^signing needs the private key; this JWK has no private part$/,
  );
});

test('JWKs of other kinds are refused: X25519 (OKP but not Ed25519), P-256, and an Ed25519 curve under another kty', async () => {
  const x = generateKeyPairSync('x25519');
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const k = await ed25519();
  const wrong = [x.privateKey.export({ format: 'jwk' }), ec.privateKey.export({ format: 'jwk' }), { ...k.privJwk, kty: 'EC' }];
  for (const jwk of wrong) {
    const { d: _d, ...pub } = jwk as Record<string, string>;
    await keyRefused(loadPrivateKey({ inline: JSON.stringify(jwk), hint }), /^key is not an Ed25519 JWK \(kty OKP, crv Ed25519\)$/);
    await keyRefused(loadPublicKey({ inline: JSON.stringify(pub), hint }), /^key is not an Ed25519 JWK \(kty OKP, crv Ed25519\)$/);
  }
});

test('PEM keys of another type (Ed448, P-256) and malformed JWKs are refused as key problems, naming the key', async () => {
  const ed448 = generateKeyPairSync('ed448');
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  for (const pair of [ed448, ec]) {
    const pkcs8 = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const spki = pair.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    await keyRefused(loadPrivateKey({ inline: pkcs8, hint }), /^signing key PEM is not a usable Ed25519 key: /);
    await keyRefused(loadPublicKey({ inline: spki, hint }), /^public key PEM is not a usable Ed25519 key: /);
  }
  await keyRefused(loadPrivateKey({ inline: '{"kty": "OKP",', hint }), /^signing key JWK is not a usable Ed25519 key: /);
  await keyRefused(loadPublicKey({ inline: '{"kty": "OKP",', hint }), /^public key JWK is not a usable Ed25519 key: /);
  const k = await ed25519();
  await keyRefused(
    loadPrivateKey({ inline: JSON.stringify({ ...k.privJwk, d: 'AAAA' }), hint }),
    /^signing key JWK is not a usable Ed25519 key: /,
  );
  await keyRefused(
    loadPublicKey({ inline: JSON.stringify({ ...k.pubJwk, x: 'AAAA' }), hint }),
    /^public key JWK is not a usable Ed25519 key: /,
  );
});

test('material that is neither JWK nor the right PEM is refused, saying which forms are accepted', async () => {
  const k = await ed25519();
  await keyRefused(loadPrivateKey({ inline: 'ssh-ed25519 AAAA', hint }), /^signing key must be an Ed25519 private JWK or a PKCS#8 PEM/);
  await keyRefused(loadPrivateKey({ inline: k.spki, hint }), /^signing key must be an Ed25519 private JWK or a PKCS#8 PEM/);
  await keyRefused(loadPublicKey({ inline: 'ssh-ed25519 AAAA', hint }), /^public key must be an Ed25519 JWK or an SPKI PEM/);
  await keyRefused(loadPublicKey({ inline: k.pkcs8, hint }), /^public key must be an Ed25519 JWK or an SPKI PEM/);
});
