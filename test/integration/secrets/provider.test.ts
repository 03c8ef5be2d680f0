import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createAwsSecretStore } from '../../../customer-plane/secrets/aws-store.ts';
import { SecretNameError, SecretsUnavailableError } from '../../../customer-plane/secrets/errors.ts';
import { createFileSecretStore } from '../../../customer-plane/secrets/file-store.ts';
import { createSecretsProvider } from '../../../customer-plane/secrets/provider.ts';
import type { SecretBackend } from '../../../customer-plane/secrets/store.ts';
import { FAKE_AWS_CREDENTIALS, FAKE_AWS_REGION, type FakeSecretsManager, startFakeSecretsManager } from '../../../scripts/fakes/index.ts';
import { isPermanent } from '../../../shared/worker-errors.ts';

async function fake(t: TestContext): Promise<FakeSecretsManager> {
  const f = await startFakeSecretsManager();
  t.after(() => f.close());
  return f;
}

function awsClient(f: FakeSecretsManager, secretAccessKey = FAKE_AWS_CREDENTIALS.secretAccessKey, maxAttempts = 3) {
  return new SecretsManagerClient({
    region: FAKE_AWS_REGION,
    endpoint: f.endpoint,
    credentials: { accessKeyId: FAKE_AWS_CREDENTIALS.accessKeyId, secretAccessKey },
    maxAttempts,
  });
}

const backends: Array<[string, (t: TestContext) => Promise<SecretBackend>]> = [
  [
    'the 0600 file',
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'ap-provider-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      return createFileSecretStore(join(dir, 'secrets.json'));
    },
  ],
  [
    'AWS Secrets Manager (the real SDK against the FAKE)',
    async (t) => createAwsSecretStore({ prefix: 'agentplane/', client: awsClient(await fake(t)) }),
  ],
];

for (const [label, make] of backends) {
  test(`${label}: a run's scope reads only its own secrets — another environment's are unknown, however the prefixes nest`, async (t) => {
    const p = createSecretsProvider(await make(t));
    const sandbox = { prefix: 'sandbox/' };
    const prod = { prefix: 'production/' };
    const nested = { prefix: 'sandbox/inner/' };
    await p.put(sandbox, 'DEPLOY_TOKEN', 'sandbox-value-1');
    await p.put(prod, 'DEPLOY_TOKEN', 'production-value-1');
    await p.put(prod, 'PROD_ONLY', 'production-only-1');
    await p.put(nested, 'INNER', 'nested-value-123');
    await p.put({ prefix: 'sandboxes/' }, 'LOOKALIKE', 'lookalike-value-1');

    assert.equal(await p.get(sandbox, 'DEPLOY_TOKEN'), 'sandbox-value-1');
    assert.equal(await p.get(prod, 'DEPLOY_TOKEN'), 'production-value-1');
    assert.equal(await p.get(sandbox, 'PROD_ONLY'), undefined, 'a production secret is not in the sandbox scope');
    assert.equal(await p.has(sandbox, 'PROD_ONLY'), false);
    assert.deepEqual(await p.names(sandbox), ['DEPLOY_TOKEN'], 'neither a nested scope nor a look-alike prefix is listed');
    assert.deepEqual(await p.names(prod), ['DEPLOY_TOKEN', 'PROD_ONLY']);
    // A name cannot climb out of its scope: no slashes, no dots, nothing but the reference syntax.
    for (const bad of ['../production/PROD_ONLY', 'inner/INNER', 'PROD ONLY', '', 'a'.repeat(65)]) {
      await assert.rejects(p.get(sandbox, bad), (e) => e instanceof SecretNameError && e.code === 'secret_name_invalid', bad);
    }
  });

  test(`${label}: every read goes to the store, so a rotated value is what the next use gets; deletes are final`, async (t) => {
    const p = createSecretsProvider(await make(t));
    const s = { prefix: 'sandbox/' };
    await p.put(s, 'ROTATED', 'first-value-1234');
    assert.equal(await p.get(s, 'ROTATED'), 'first-value-1234');
    await p.put(s, 'ROTATED', 'second-value-5678');
    assert.equal(await p.get(s, 'ROTATED'), 'second-value-5678');
    await p.delete(s, 'ROTATED');
    assert.equal(await p.get(s, 'ROTATED'), undefined);
    await p.delete(s, 'ROTATED'); // deleting what is gone is not an error
  });
}

test('scopes and values are checked before anything is stored: a reserved or malformed scope, a value too short to mask', async (t) => {
  const backend = await backends[0]![1](t);
  const p = createSecretsProvider(backend);
  for (const prefix of ['sandbox', '/sandbox/', 'Sandbox/', 'run-inputs/', '../x/', '']) {
    await assert.rejects(p.names({ prefix }), (e) => e instanceof SecretNameError && e.code === 'secret_scope_invalid', prefix);
  }
  await assert.rejects(p.put({ prefix: 'sandbox/' }, 'SHORT', 'abc'), (e) => e instanceof SecretNameError && /at least 8/.test(e.message));
  await assert.rejects(
    p.put({ prefix: 'sandbox/' }, 'NUL', 'long-enough\u0000value'),
    (e) => e instanceof SecretNameError && /NUL/.test(e.message),
  );
  assert.deepEqual(await backend.list(''), [], 'nothing was written');
});

test('AWS: the FAKE checks the SigV4 signature like AWS — a client with the wrong secret key is refused; ListSecrets pages are followed', async (t) => {
  const f = await fake(t);
  const good = createAwsSecretStore({ prefix: 'agentplane/', client: awsClient(f) });
  for (let i = 0; i < 130; i++) await good.put(`sandbox/S${String(i).padStart(3, '0')}`, `value-${i}-padding`);
  assert.equal((await createSecretsProvider(good).names({ prefix: 'sandbox/' })).length, 130, 'two pages of ListSecrets');
  const wrong = createAwsSecretStore({ prefix: 'agentplane/', client: awsClient(f, 'not-the-secret-key', 1) });
  await assert.rejects(
    wrong.get('sandbox/S001'),
    (e) => e instanceof SecretsUnavailableError && (e.cause as Error).name === 'InvalidSignatureException',
  );
});

test('AWS: an outage or throttling is SecretsUnavailableError — retryable, naming the operation, never a value', async (t) => {
  const f = await fake(t);
  const store = createAwsSecretStore({ prefix: 'agentplane/', client: awsClient(f, undefined, 2) });
  await store.put('sandbox/TOKEN', 'outage-canary-value');
  f.setFault({ status: 503, body: { __type: 'ServiceUnavailable', message: 'down' } });
  const err = await store.get('sandbox/TOKEN').then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SecretsUnavailableError);
  assert.equal(err.code, 'secrets_unavailable');
  assert.equal(isPermanent(err), false, 'a run that needs the store is retried, not failed');
  assert.match(err.message, /GetSecretValue/);
  assert.ok(!JSON.stringify({ m: err.message, s: err.stack }).includes('outage-canary-value'));
  assert.ok(f.requests.log.filter((r) => r.status === 503).length >= 2, 'the SDK retried before giving up');
  f.setFault({ status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } }, { times: 1 });
  assert.equal(await store.get('sandbox/TOKEN'), 'outage-canary-value', 'a throttled call is retried by the SDK and then served');
});
