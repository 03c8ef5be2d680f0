import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { loadConfig } from '../../shared/config.ts';
import { ConfigError } from '../../shared/errors.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function runMain(script: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [ROOT + script],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

test('the control plane refuses to start without its token signing keys and names every missing variable', async () => {
  const res = await runMain('control-plane/main.ts', {});
  assert.equal(res.code, 78);
  assert.match(res.stderr, /missing required variable\(s\): .*DATABASE_URL/);
  assert.match(res.stderr, /CONTROL_PLANE_TOKEN_KEYS/);
  assert.doesNotMatch(res.stderr, /at .*\.ts:\d+/, 'a configuration error is a message, not a stack trace');
});

test('the control plane refuses token keys that are not private JWKs', async () => {
  const res = await runMain('control-plane/main.ts', {
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
    CONTROL_PLANE_TOKEN_KEYS: '[{"kty":"OKP"}]',
  });
  assert.equal(res.code, 78);
  assert.match(res.stderr, /CONTROL_PLANE_TOKEN_KEYS \(expected a JSON array of private JWKs with kid\)/);
});

test('the customer plane refuses to start without its tenant, control-plane URL and database, naming each', async () => {
  const res = await runMain('customer-plane/main.ts', { REPOS: 'bad' });
  assert.equal(res.code, 78);
  assert.match(res.stderr, /TENANT_ID/);
  assert.match(res.stderr, /CONTROL_PLANE_URL/);
  assert.match(res.stderr, /DATABASE_URL/);
  assert.match(res.stderr, /REPOS/);
});

test('loadConfig reports missing and invalid values together and treats blank values as missing', () => {
  const schema = z.object({ A: z.string(), B: z.string().url(), C: z.string().default('c') });
  assert.throws(
    () => loadConfig('svc', schema, { A: '', B: 'not a url' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /missing required variable\(s\): A/);
      assert.match(err.message, /invalid: B/);
      return true;
    },
  );
  assert.deepEqual(loadConfig('svc', schema, { A: 'x', B: 'http://h' }), { A: 'x', B: 'http://h', C: 'c' });
});
