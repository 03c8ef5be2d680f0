import assert from 'node:assert/strict';
import { test } from 'node:test';
import { customerPlaneEnvSchema } from '../../../customer-plane/config.ts';
import { checkStartupSecrets } from '../../../customer-plane/preflight.ts';
import type { SecretName, SecretStore } from '../../../customer-plane/secrets/store.ts';
import { ConfigError } from '../../../shared/errors.ts';

const BASE = {
  TENANT_ID: '00000000-0000-4000-8000-0000000000aa',
  CONTROL_PLANE_URL: 'https://cp.example.com',
  DATABASE_URL: 'postgres://runner@db.internal:5432/agentplane',
};
const envOf = (extra: Record<string, string>) => customerPlaneEnvSchema.parse({ ...BASE, ...extra });

/** A secret store holding the given secrets, recording what was read and refusing every write. */
function secretStoreWith(values: Partial<Record<SecretName, string>>): SecretStore & { reads: SecretName[] } {
  const reads: SecretName[] = [];
  return {
    reads,
    async get(name) {
      reads.push(name);
      return values[name];
    },
    async put() {
      throw new Error('the preflight must not write secrets');
    },
  };
}

const ENROLLED = { 'leaf-credentials': '{"url":"nats-leaf://hub:7422","username":"u","password":"p"}' };

test('direct mode finds the LLM keys in the environment or, failing that, in the secret store — and returns which exist, not their values', async () => {
  const fromEnv = await checkStartupSecrets(envOf({ OPENAI_API_KEY: 'sk-env' }), secretStoreWith(ENROLLED));
  assert.deepEqual(fromEnv.llm, { mode: 'direct', openai: true, anthropic: false });
  const fromStore = await checkStartupSecrets(envOf({}), secretStoreWith({ ...ENROLLED, 'anthropic-api-key': 'ak-store' }));
  assert.deepEqual(fromStore.llm, { mode: 'direct', openai: false, anthropic: true });
  assert.ok(!JSON.stringify(fromStore).includes('ak-store'), 'the value is read again where it is used');
});

test('routed mode finds the agent token in the environment or the secret store', async () => {
  const fromStore = await checkStartupSecrets(envOf({ LLM_MODE: 'routed' }), secretStoreWith({ ...ENROLLED, 'agent-token': 'tok' }));
  assert.deepEqual(fromStore.llm, { mode: 'routed' });
});

test('every problem found in the secret store is named in one ConfigError', async () => {
  await assert.rejects(
    checkStartupSecrets(envOf({ LEAF_NATS_URL: 'nats://leaf:4222' }), secretStoreWith({ 'local-nats-logins': '{"egress":{}}' })),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /OPENAI_API_KEY or ANTHROPIC_API_KEY \(or the matching secrets\) for direct LLM mode/);
      assert.match(err.message, /with LEAF_NATS_URL set, the secret `local-nats-logins` must hold the egress and runner logins/);
      assert.match(err.message, /ENROLL_TOKEN \(this plane is not enrolled yet\)/);
      return true;
    },
  );
  await assert.rejects(
    checkStartupSecrets(envOf({ LLM_MODE: 'routed' }), secretStoreWith(ENROLLED)),
    /AGENT_TOKEN \(or the `agent-token` secret\)/,
  );
});

test('an external leaf gets its local logins from the secret store', async () => {
  const logins = { egress: { user: 'e', password: 'pe' }, runner: { user: 'r', password: 'pr' } };
  const checked = await checkStartupSecrets(
    envOf({ LEAF_NATS_URL: 'nats://leaf:4222', OPENAI_API_KEY: 'sk', ENROLL_TOKEN: 't' }),
    secretStoreWith({ 'local-nats-logins': JSON.stringify(logins) }),
  );
  assert.deepEqual(checked.localLogins, logins);
});

test('a plane that is not enrolled passes with an enrollment token, and an enrolled one needs none', async () => {
  await checkStartupSecrets(envOf({ OPENAI_API_KEY: 'sk', ENROLL_TOKEN: 't' }), secretStoreWith({}));
  const store = secretStoreWith(ENROLLED);
  await checkStartupSecrets(envOf({ OPENAI_API_KEY: 'sk' }), store);
  assert.ok(store.reads.includes('leaf-credentials'));
});
