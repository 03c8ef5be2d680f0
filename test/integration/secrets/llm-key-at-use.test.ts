import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createAwsSecretStore } from '../../../customer-plane/secrets/aws-store.ts';
import { llmKeySource } from '../../../customer-plane/secrets/plane-secrets.ts';
import {
  FAKE_AWS_CREDENTIALS,
  FAKE_AWS_REGION,
  type FakeProvider,
  startFakeAnthropic,
  startFakeOpenAI,
  startFakeSecretsManager,
} from '../../../scripts/fakes/index.ts';
import { createLlmGateway, type OpenAITransport } from '../../../shared/llm/index.ts';
import { silentLogger } from '../../../shared/log.ts';

/**
 * Direct LLM mode with the customer's keys in AWS Secrets Manager (the fake that speaks its wire
 * protocol): the key is read at each call, so after a rotation — the new key in the store, the old one
 * revoked by the provider — the very next call uses the new key, without a restart.
 */
const request = { model: 'core', messages: [{ role: 'user', content: 'hello' }], max_tokens: 16 };
const ctx = { tenant: '00000000-0000-4000-8000-0000000000c8', agent: 'reviewer' };

for (const [provider, transport] of [
  ['openai', 'passthrough'],
  ['openai', 'sdk'],
  ['anthropic', 'sdk'],
] as Array<['openai' | 'anthropic', OpenAITransport]>) {
  test(`${provider} (${transport}): a key rotated in Secrets Manager is used by the next call, and the old one no more`, async (t) => {
    const sm = await startFakeSecretsManager();
    t.after(() => sm.close());
    const store = createAwsSecretStore({
      prefix: 'agentplane/',
      client: new SecretsManagerClient({ region: FAKE_AWS_REGION, endpoint: sm.endpoint, credentials: { ...FAKE_AWS_CREDENTIALS } }),
    });
    const name = provider === 'openai' ? 'openai-api-key' : 'anthropic-api-key';
    await store.put(name, 'key-before-rotation');
    let valid = new Set(['key-before-rotation']);
    const opts = { acceptKey: (k: string) => valid.has(k) };
    const fake: FakeProvider = provider === 'openai' ? await startFakeOpenAI(opts) : await startFakeAnthropic(opts);
    t.after(() => fake.close());
    const gateway = createLlmGateway({
      providers: { [provider]: { apiKey: llmKeySource(undefined, store, name), baseURL: fake.url } },
      openaiTransport: transport,
      log: silentLogger(),
    });
    t.after(() => gateway.close());

    sm.requests.reset();
    const first = await gateway.chat(request, ctx);
    assert.equal(first.meta.provider, provider);
    assert.deepEqual(
      sm.requests.log.map((r) => r.op),
      ['GetSecretValue'],
      'the key was read from Secrets Manager for the call',
    );

    await store.put(name, 'key-after-rotation');
    valid = new Set(['key-after-rotation']);
    const second = await gateway.chat(request, ctx);
    assert.equal(second.meta.provider, provider, 'the next call went through with the rotated key');
    assert.equal(fake.requests.count, 2, 'no call was refused for its key');
    assert.equal(sm.requests.log.filter((r) => r.op === 'GetSecretValue').length, 2, 'read again for the next call');

    // Revoked in the store as well: the call fails; it never falls back to a key held from before.
    await store.delete(name);
    await assert.rejects(gateway.chat(request, ctx));
    assert.equal(fake.requests.count, 2, 'nothing reached the provider without a key');
  });
}

test('a key given in the environment is used as given (it cannot change without a restart)', () => {
  const store = {
    get: async () => {
      throw new Error('the store must not be read');
    },
  } as unknown as Parameters<typeof llmKeySource>[1];
  assert.equal(llmKeySource('sk-from-env', store, 'openai-api-key'), 'sk-from-env');
});
