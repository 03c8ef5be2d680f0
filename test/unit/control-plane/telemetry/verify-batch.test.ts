// The control plane's check of an up batch, one step at a time. Each refused batch below passes every
// step before the one that refuses it — right key, right subject, valid signature — so each case proves
// its own step and no earlier one does its work.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { CompactSign, type JWK } from 'jose';
import { createBatchVerifier, REJECT_REASONS } from '../../../../control-plane/telemetry/verify-batch.ts';
import { generateTenantKey, importTenantKey, signBatch, type TenantSigningKey } from '../../../../shared/signing.ts';
import { usageEvent } from '../../../support/usage-event.ts';

const A = '0f8fad5b-d9cb-469f-a165-70867728950e';
const B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const NOW = 1_780_000_000_000;
const nowS = NOW / 1000;

async function setup() {
  const a = await generateTenantKey();
  const b = await generateTenantKey();
  const keys = new Map<string, { tenantId: string; publicJwk: JWK }>([
    [a.kid, { tenantId: A, publicJwk: a.publicJwk }],
    [b.kid, { tenantId: B, publicJwk: b.publicJwk }],
  ]);
  const verify = createBatchVerifier({ tenants: { keyByKid: async (kid) => keys.get(kid) }, clock: () => NOW });
  const keyA = await importTenantKey(a.privateJwk);
  const sign = (over: Record<string, unknown> = {}, key: TenantSigningKey = keyA) =>
    signBatch({ tenant: A, seq: 5, iat: nowS, kind: 'usage', events: [usageEvent()], ...over } as never, key);
  const bytes = (s: string) => new TextEncoder().encode(s);
  const reason = async (subject: string, jws: string) => {
    try {
      await verify(subject, bytes(jws));
      return 'accepted';
    } catch (err) {
      return (err as { code: string }).code;
    }
  };
  return { verify, sign, bytes, reason, keyA, keyB: await importTenantKey(b.privateJwk), a };
}

const up = (tenant: string, kind = 'usage') => `ap.up.${tenant}.${kind}`;

test('a batch signed by the tenant’s registered key, on its own subject, inside the window, is accepted with its digest and events', async () => {
  const { verify, sign, bytes, keyA } = await setup();
  const jws = await sign();
  const out = await verify(up(A), bytes(jws));
  assert.equal(out.tenant, A);
  assert.equal(out.kind, 'usage');
  assert.equal(out.kid, keyA.kid);
  assert.equal(out.seq, 5);
  assert.equal(out.iat, nowS);
  assert.equal(out.digest, createHash('sha256').update(jws).digest('hex'));
  assert.equal(out.events.length, 1);
  assert.equal((out.events[0] as { provider: string }).provider, 'openai');
});

test('a batch whose signed tenant differs from its subject’s, sent with the right key on the right subject, is refused as wrong_tenant', async () => {
  const { reason, sign } = await setup();
  // Tenant A's own key, on tenant A's subject: only the tenant inside the signature is B's.
  assert.equal(await reason(up(A), await sign({ tenant: B })), 'wrong_tenant');
});

test('a key that belongs to another tenant than the subject names is refused as wrong_tenant, before its signature is even checked', async () => {
  const { reason, sign, keyB } = await setup();
  assert.equal(await reason(up(A), await sign({}, keyB)), 'wrong_tenant');
  assert.equal(await reason(up(B), await sign({ tenant: B }, keyB)), 'accepted');
});

test('a batch signed for another kind than its subject is refused as wrong_kind', async () => {
  const { reason, sign } = await setup();
  assert.equal(await reason(up(A, 'otel'), await sign({ kind: 'usage' })), 'wrong_kind');
});

test('iat must lie between seven days ago and five minutes ahead, both ends included', async () => {
  const { reason, sign } = await setup();
  assert.equal(await reason(up(A), await sign({ iat: nowS + 300 })), 'accepted');
  assert.equal(await reason(up(A), await sign({ iat: nowS + 301 })), 'iat_out_of_window');
  assert.equal(await reason(up(A), await sign({ iat: nowS - 7 * 24 * 3600 })), 'accepted');
  assert.equal(await reason(up(A), await sign({ iat: nowS - 7 * 24 * 3600 - 1 })), 'iat_out_of_window');
});

test('the window can be set, and the clock defaults to now', async () => {
  const a = await generateTenantKey();
  const key = await importTenantKey(a.privateJwk);
  const tenants = { keyByKid: async () => ({ tenantId: A, publicJwk: a.publicJwk }) };
  const now = Math.floor(Date.now() / 1000);
  const jws = (iat: number) =>
    signBatch({ tenant: A, seq: 1, iat, kind: 'usage', events: [usageEvent()] }, key).then((s) => new TextEncoder().encode(s));
  const strict = createBatchVerifier({ tenants, maxAgeSeconds: 60, maxFutureSeconds: 10 });
  await strict(up(A), await jws(now - 30));
  await assert.rejects(strict(up(A), await jws(now - 120)), { code: 'iat_out_of_window' });
  await assert.rejects(strict(up(A), await jws(now + 60)), { code: 'iat_out_of_window' });
});

test('an envelope or event that breaks the boundary schema is refused as schema_invalid, naming the field and not the value', async () => {
  const { verify, sign, bytes, reason } = await setup();
  assert.equal(await reason(up(A), await sign({ seq: 0 })), 'schema_invalid');
  assert.equal(await reason(up(A), await sign({ note: 'CANARY' })), 'schema_invalid');
  const bad = { ...usageEvent(), provider: 'CANARY-provider' };
  await assert.rejects(verify(up(A), bytes(await sign({ events: [usageEvent(), bad] }))), (err: Error) => {
    assert.equal((err as { code?: string }).code, 'schema_invalid');
    assert.match(err.message, /provider/);
    assert.doesNotMatch(err.message, /CANARY/);
    return true;
  });
});

test('subjects, keys and signatures: each broken one has its own reason', async () => {
  const { reason, sign, keyA } = await setup();
  const good = await sign();
  for (const subject of ['ap.up.not-a-uuid.usage', `ap.up.${A}.logs`, `ap.down.${A}.usage`, `ap.up.${A}`, `ap.up.${A}.usage.x`]) {
    assert.equal(await reason(subject, good), 'bad_subject', subject);
  }
  assert.equal(await reason(up(A), 'not a jws'), 'malformed');
  const stranger = await importTenantKey((await generateTenantKey()).privateJwk);
  assert.equal(await reason(up(A), await sign({}, stranger)), 'unknown_key');
  const [h, p, s] = good.split('.');
  const payload = Buffer.from(p, 'base64url').toString().replace('"seq":5', '"seq":6');
  assert.equal(await reason(up(A), `${h}.${Buffer.from(payload).toString('base64url')}.${s}`), 'bad_signature');
  // Signed correctly, but what was signed is not JSON.
  const notJson = await new CompactSign(new TextEncoder().encode('{seq: 5'))
    .setProtectedHeader({ alg: 'EdDSA', kid: keyA.kid })
    .sign(keyA.privateKey);
  assert.equal(await reason(up(A), notJson), 'malformed');
});

test('every reason a batch can be refused with is in the published list operators alert on', () => {
  assert.deepEqual(
    [...REJECT_REASONS],
    [
      'bad_subject',
      'unknown_key',
      'wrong_tenant',
      'bad_signature',
      'malformed',
      'schema_invalid',
      'wrong_kind',
      'iat_out_of_window',
      'replayed_seq',
    ],
  );
});

test('each refusal says why in its message (what an operator reads with the dead-lettered batch), and keeps its cause', async () => {
  const { verify, sign, bytes, keyB } = await setup();
  const refusal = async (subject: string, jws: string) => {
    try {
      await verify(subject, bytes(jws));
    } catch (err) {
      return err as Error & { code: string; cause?: unknown };
    }
    assert.fail('accepted');
  };
  const stranger = await importTenantKey((await generateTenantKey()).privateJwk);
  const good = await sign();
  const cases: Array<[string, string, string]> = [
    [up(A, 'bogus'), good, 'subject is not ap.up.<tenant>.<kind>'],
    [up(A), 'x', 'not a JWS with a kid'],
    [up(A), await sign({}, stranger), 'kid is not registered'],
    [up(A), await sign({}, keyB), 'key belongs to another tenant'],
    [up(A), `${good.slice(0, -4)}AAAA`, 'signature does not verify'],
    [up(A), await sign({ seq: 0 }), 'envelope does not match the boundary schema'],
    [up(A), await sign({ tenant: B }), 'signed tenant differs from subject'],
    [up(A, 'meta'), await sign(), 'signed kind differs from subject'],
    [up(A), await sign({ iat: nowS + 3600 }), 'iat outside the accepted window'],
  ];
  for (const [subject, jws, message] of cases) {
    const err = await refusal(subject, jws);
    assert.equal(err.message, message);
    assert.equal(err.name, 'BatchRejected');
  }
  const badSignature = await refusal(up(A), `${good.slice(0, -4)}AAAA`);
  assert.equal((badSignature.cause as { code?: string }).code, 'bad_signature', 'the signature error is kept as the cause');
});
