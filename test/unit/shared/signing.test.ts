import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactSign } from 'jose';
import { generateTenantKey, importTenantKey, jwsKid, signBatch, verifyBatch } from '../../../shared/signing.ts';
import { canonicalJson } from '../../../shared/canonical-json.ts';

const batch = {
  tenant: '11111111-1111-4111-8111-111111111111',
  seq: 7,
  iat: 1_800_000_000,
  kind: 'meta' as const,
  events: [{ b: 1, a: 2 }],
};

test('a signed batch verifies with the tenant public key and yields the same payload', async () => {
  const k = await generateTenantKey();
  const key = await importTenantKey(k.privateJwk);
  assert.equal(key.kid, k.kid, 'kid is the key thumbprint, stable across export and import');
  const jws = await signBatch(batch, key);
  const out = await verifyBatch(jws, k.publicJwk);
  assert.deepEqual(out.payload, batch);
  assert.equal(out.kid, k.kid);
});

test('changing one byte of the payload or verifying with another key fails', async () => {
  const k = await generateTenantKey();
  const jws = await signBatch(batch, await importTenantKey(k.privateJwk));
  const [h, p, s] = jws.split('.');
  const tampered = Buffer.from(p, 'base64url').toString().replace('"seq":7', '"seq":8');
  await assert.rejects(verifyBatch(`${h}.${Buffer.from(tampered).toString('base64url')}.${s}`, k.publicJwk), { code: 'bad_signature' });
  const other = await generateTenantKey();
  await assert.rejects(verifyBatch(jws, other.publicJwk), { code: 'bad_signature' });
});

test('canonical JSON sorts keys at every depth so signatures do not depend on key order', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
  assert.throws(() => canonicalJson({ x: Number.NaN }));
});

test('jwsKid reads only a string kid, and never throws', async () => {
  const k = await generateTenantKey();
  const key = await importTenantKey(k.privateJwk);
  assert.equal(jwsKid(await signBatch(batch, key)), k.kid);
  const numericKid = await new CompactSign(new TextEncoder().encode('{}'))
    .setProtectedHeader({ alg: 'EdDSA', kid: 5 as never })
    .sign(key.privateKey);
  assert.equal(jwsKid(numericKid), undefined);
  for (const s of ['', 'not a jws', 'a.b.c', '..']) assert.equal(jwsKid(s), undefined, s);
});

test('verifyBatch tells a malformed message from a bad signature, and a key it cannot import from both', async () => {
  const k = await generateTenantKey();
  const key = await importTenantKey(k.privateJwk);
  for (const s of ['not a jws', 'a.b.c', `${'e30'}.e30`]) await assert.rejects(verifyBatch(s, k.publicJwk), { code: 'malformed' }, s);
  const notJson = await new CompactSign(new TextEncoder().encode('{seq: 7'))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
    .sign(key.privateKey);
  await assert.rejects(
    verifyBatch(notJson, k.publicJwk),
    (err: Error & { code?: string }) => err.code === 'malformed' && /not JSON/.test(err.message),
  );
  const jws = await signBatch(batch, key);
  await assert.rejects(
    verifyBatch(`${jws.slice(0, -4)}AAAA`, k.publicJwk),
    (err: Error & { code?: string }) => err.code === 'bad_signature' && /does not verify/.test(err.message),
  );
  await assert.rejects(
    verifyBatch(jws, { kty: 'OKP', crv: 'Ed25519' }),
    (err: Error & { code?: string }) => err.code === 'unknown_key' && /cannot be imported/.test(err.message),
  );
});

test('only EdDSA is accepted: the same key under another algorithm name does not verify', async () => {
  const k = await generateTenantKey();
  const key = await importTenantKey(k.privateJwk);
  const other = await new CompactSign(new TextEncoder().encode(JSON.stringify(batch)))
    .setProtectedHeader({ alg: 'Ed25519', kid: key.kid })
    .sign(key.privateKey);
  await assert.rejects(verifyBatch(other, k.publicJwk), { code: 'bad_signature' });
});

test('a verified message without a kid reports an empty kid, never a made-up one', async () => {
  const k = await generateTenantKey();
  const key = await importTenantKey(k.privateJwk);
  const noKid = await new CompactSign(new TextEncoder().encode('{"a":1}')).setProtectedHeader({ alg: 'EdDSA' }).sign(key.privateKey);
  assert.deepEqual(await verifyBatch(noKid, k.publicJwk), { kid: '', payload: { a: 1 } });
});

test('an imported key publishes only its public members, and batches carry the up-message JOSE type', async () => {
  const k = await generateTenantKey();
  const key = await importTenantKey(k.privateJwk);
  assert.deepEqual(key.publicJwk, { kty: 'OKP', crv: 'Ed25519', x: k.publicJwk.x, kid: k.kid, alg: 'EdDSA' });
  const jws = await signBatch(batch, key);
  assert.deepEqual(JSON.parse(Buffer.from(jws.split('.')[0], 'base64url').toString()), { alg: 'EdDSA', kid: k.kid, typ: 'ap-up+jws' });
  await assert.rejects(verifyBatch(`${jws.slice(0, -4)}AAAA`, k.publicJwk), (err: Error) => err.cause instanceof Error);
});
