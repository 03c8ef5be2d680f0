import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import bcrypt from 'bcryptjs';
import { leafUsername } from '../../../control-plane/hub/config.ts';
import { startEmbeddedHub } from '../../../control-plane/hub/embedded.ts';
import { customerPlaneEnvSchema } from '../../../customer-plane/config.ts';
import { createCustomerPlane } from '../../../customer-plane/create-customer-plane.ts';
import { createAwsSecretStore } from '../../../customer-plane/secrets/aws-store.ts';
import { FAKE_AWS_CREDENTIALS, FAKE_AWS_REGION, startFakeSecretsManager } from '../../../scripts/fakes/index.ts';
import { createTestDatabase } from '../../../scripts/topology/scratch-database.ts';
import { newUlid } from '../../../shared/ids.ts';
import { createLogger } from '../../../shared/log.ts';
import { generateTenantKey } from '../../../shared/signing.ts';

const TENANT = '00000000-0000-4000-8000-0000000000c7';

test('a plane whose secrets are in AWS Secrets Manager reads its signing key there each time it signs, not once at start; nothing of it is on disk', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ap-plane-aws-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const password = 'leaf-password-aws';
  const hub = await startEmbeddedHub({
    stateDir: join(dir, 'hub'),
    tenants: [{ tenant: TENANT, username: leafUsername(TENANT), passwordBcrypt: await bcrypt.hash(password, 4) }],
  });
  t.after(() => hub.stop());
  const fake = await startFakeSecretsManager();
  t.after(() => fake.close());
  const store = createAwsSecretStore({
    prefix: 'agentplane/',
    client: new SecretsManagerClient({ region: FAKE_AWS_REGION, endpoint: fake.endpoint, credentials: { ...FAKE_AWS_CREDENTIALS } }),
  });
  const key = await generateTenantKey();
  await store.put('tenant-signing-key', JSON.stringify(key.privateJwk));
  await store.put('leaf-credentials', JSON.stringify({ url: hub.leafUrl, username: leafUsername(TENANT), password }));
  const db = await createTestDatabase('planeaws');
  t.after(() => db.drop());
  const env = customerPlaneEnvSchema.parse({
    TENANT_ID: TENANT,
    CONTROL_PLANE_URL: 'http://127.0.0.1:9',
    DATABASE_URL: db.url,
    STATE_DIR: join(dir, 'state'),
    SECRETS_BACKEND: 'aws',
    AWS_REGION: FAKE_AWS_REGION,
    OPENAI_API_KEY: 'unused-key',
  });
  const plane = await createCustomerPlane({ env, log: createLogger({ service: 'customer-plane', level: 'silent' }), secrets: store });
  t.after(() => plane.stop());
  assert.equal(plane.kid, key.kid);

  fake.requests.reset();
  const event = { type: 'workflow.started', eventId: newUlid(), workflowId: newUlid(), template: 'code-review', at: Date.now() };
  assert.equal(plane.egress.emit('meta', event).ok, true);
  await plane.egress.flush();
  assert.deepEqual(
    fake.requests.log.map((r) => [r.op, r.status]),
    [['GetSecretValue', 200]],
    'the key was read from Secrets Manager when the batch was signed',
  );
  assert.equal(plane.egress.stats().batches.meta, 1);
  // No file under the state dir (leaf config and store, sequence file, audit log) holds the signing key.
  const stateDir = join(dir, 'state');
  for (const f of readdirSync(stateDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())) {
    assert.ok(!readFileSync(join(f.parentPath, f.name)).includes(String(key.privateJwk.d)), f.name);
  }
});
