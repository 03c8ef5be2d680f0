import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateTenantKey } from '../../../../shared/signing.ts';
import {
  agentTokenSource,
  ownSecretsForMasking,
  SigningKeyError,
  signingKeySource,
} from '../../../../customer-plane/secrets/plane-secrets.ts';
import type { SecretName, SecretStore } from '../../../../customer-plane/secrets/store.ts';

function countingStore(values: Partial<Record<SecretName, string>>): SecretStore & { reads: SecretName[]; values: typeof values } {
  const reads: SecretName[] = [];
  return {
    reads,
    values,
    async get(name) {
      reads.push(name);
      return values[name];
    },
    async put(name, value) {
      values[name] = value;
    },
  };
}

test('the signing key is read from the secret store when it is needed and kept at most the TTL; a key swapped in the store is refused', async () => {
  const enrolled = await generateTenantKey();
  const store = countingStore({ 'tenant-signing-key': JSON.stringify(enrolled.privateJwk) });
  let now = 1_000_000;
  const source = signingKeySource(store, enrolled.kid, { ttlMs: 60_000, clock: () => now });
  assert.equal(store.reads.length, 0, 'nothing is read before the first signature');
  assert.equal((await source.current()).kid, enrolled.kid);
  await source.current();
  now += 59_999;
  await source.current();
  assert.equal(store.reads.length, 1, 'within the TTL the imported key is reused');
  now += 1;
  await source.current();
  assert.equal(store.reads.length, 2, 'after the TTL it is read again');
  store.values['tenant-signing-key'] = JSON.stringify((await generateTenantKey()).privateJwk);
  now += 60_000;
  await assert.rejects(source.current(), (e) => e instanceof SigningKeyError && e.code === 'signing_key_changed');
  delete store.values['tenant-signing-key'];
  now += 60_000;
  await assert.rejects(source.current(), (e) => e instanceof SigningKeyError && e.code === 'signing_key_missing');
});

test('the routed agent token comes from the environment as given, or from the store at use (kept at most the TTL)', async () => {
  const fromEnv = agentTokenSource({ AGENT_TOKEN: 'env-token' }, countingStore({}));
  assert.equal(await fromEnv(), 'env-token');
  const store = countingStore({ 'agent-token': 'first-token' });
  let now = 0;
  const fromStore = agentTokenSource({ AGENT_TOKEN: undefined }, store, { ttlMs: 1000, clock: () => now });
  assert.equal(await fromStore(), 'first-token');
  store.values['agent-token'] = 'rotated-token';
  assert.equal(await fromStore(), 'first-token');
  now = 1000;
  assert.equal(await fromStore(), 'rotated-token', 'a token rotated in the store is used without a restart');
});

test('a run masks the plane’s own secrets too: LLM keys, tokens, the leaf and local NATS passwords and the signing key’s private part', async () => {
  const key = await generateTenantKey();
  const store = countingStore({
    'openai-api-key': 'sk-store-openai',
    'leaf-credentials': JSON.stringify({ url: 'nats://hub', username: 'u', password: 'leaf-password-1' }),
    'local-nats-logins': JSON.stringify({
      egress: { user: 'e', password: 'egress-pass-1' },
      runner: { user: 'r', password: 'runner-pass-1' },
    }),
    'tenant-signing-key': JSON.stringify(key.privateJwk),
  });
  const own = await ownSecretsForMasking(
    { OPENAI_API_KEY: undefined, ANTHROPIC_API_KEY: 'ak-env', AGENT_TOKEN: undefined, ENROLL_TOKEN: 'enroll-tok' },
    store,
  );
  assert.deepEqual(
    own.map(([n, v]) => [n, v]),
    [
      ['anthropic-api-key', 'ak-env'],
      ['enroll-token', 'enroll-tok'],
      ['openai-api-key', 'sk-store-openai'],
      ['leaf-credentials', 'leaf-password-1'],
      ['local-nats-logins', 'egress-pass-1'],
      ['local-nats-logins', 'runner-pass-1'],
      ['tenant-signing-key', key.privateJwk.d],
    ],
  );
});
