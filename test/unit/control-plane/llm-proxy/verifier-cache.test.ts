import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cachingVerifier } from '../../../../control-plane/llm-proxy/verifier-cache.ts';
import { createTokenIssuer, createTokenVerifier, generateSigningJwk, publicJwks, type TokenVerifier } from '../../../../shared/tokens.ts';

/** The real verifier, counting the verifications that reach it. */
async function countedVerifier(): Promise<{ verifier: TokenVerifier; calls: () => number; issue: (tenant: string) => Promise<string> }> {
  const keys = [await generateSigningJwk()];
  const real = createTokenVerifier({ jwks: publicJwks(keys) });
  let calls = 0;
  const verifier: TokenVerifier = {
    verify(token, accept) {
      calls += 1;
      return real.verify(token, accept);
    },
  };
  const issuer = createTokenIssuer({ keys });
  return { verifier, calls: () => calls, issue: (tenant) => issuer.issue({ typ: 'agent', tenant, sub: 'a1', ttlSeconds: 3600 }) };
}

test('calls of one agent that arrive together are verified once, and each gets the claims', async () => {
  const { verifier, calls, issue } = await countedVerifier();
  const cached = cachingVerifier(verifier);
  const tenant = crypto.randomUUID();
  const token = await issue(tenant);
  const all = await Promise.all(Array.from({ length: 16 }, () => cached.verify(token, 'agent')));
  assert.equal(calls(), 1);
  for (const claims of all) assert.equal(claims.tenant, tenant);
  await cached.verify(token, 'agent');
  assert.equal(calls(), 1, 'later calls are answered from the cache');
});

test('an entry past its time is verified again once, however many calls are waiting', async () => {
  const { verifier, calls, issue } = await countedVerifier();
  let now = Date.now();
  const cached = cachingVerifier(verifier, { ttlMs: 1000, clock: () => now });
  const token = await issue(crypto.randomUUID());
  await cached.verify(token, 'agent');
  now += 1001;
  await Promise.all(Array.from({ length: 8 }, () => cached.verify(token, 'agent')));
  assert.equal(calls(), 2);
});

test('a refused token is refused to every call waiting on it, and is checked again on the next call', async () => {
  const { verifier, calls, issue } = await countedVerifier();
  const cached = cachingVerifier(verifier);
  const token = await issue(crypto.randomUUID());
  const results = await Promise.allSettled(Array.from({ length: 4 }, () => cached.verify(token, 'operator')));
  assert.equal(calls(), 1);
  for (const r of results) assert.equal(r.status === 'rejected' && (r.reason as { code?: string }).code, 'token_wrong_type');
  await assert.rejects(cached.verify(token, 'operator'), { code: 'token_wrong_type' });
  assert.equal(calls(), 2, 'a failure is not remembered');
  assert.equal((await cached.verify(token, 'agent')).sub, 'a1', 'the same token for the type it has is still accepted');
});
