import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateTenantKey, importTenantKey, signBatch, verifyBatch } from '../../../shared/signing.ts';
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
