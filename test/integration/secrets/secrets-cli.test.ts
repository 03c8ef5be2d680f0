import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileSecretStore } from '../../../customer-plane/secrets/file-store.ts';
import { createSecretsProvider } from '../../../customer-plane/secrets/provider.ts';
import { ROOT } from '../../../scripts/topology/boundary-rig.ts';

function secretsCli(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'customer-plane/cli/secrets.ts'), ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

test('npm run secrets: put takes the value on stdin, list prints names only, bad names, scopes and short values are refused with exit 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ap-secrets-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { STATE_DIR: dir };
  const put = await secretsCli(['put', 'sandbox', 'NPM_TOKEN'], env, 'npm-token-value-1\n');
  assert.equal(put.code, 0, put.stderr);
  assert.match(put.stderr, /stored sandbox\/NPM_TOKEN: runs in that scope may use it as \{\{secret:NPM_TOKEN\}\}/);
  await secretsCli(['put', 'production/', 'NPM_TOKEN'], env, 'npm-token-prod-1');
  const list = await secretsCli(['list', 'sandbox/'], env);
  assert.deepEqual([list.code, list.stdout], [0, 'NPM_TOKEN\n']);
  assert.ok(!(list.stdout + list.stderr + put.stdout + put.stderr).includes('npm-token-value-1'), 'no value is printed');
  assert.equal(
    await createSecretsProvider(createFileSecretStore(join(dir, 'secrets.json'))).get({ prefix: 'sandbox/' }, 'NPM_TOKEN'),
    'npm-token-value-1',
  );
  for (const [args, stdin, why] of [
    [['put', 'sandbox/', 'bad-name'], 'long-enough-value', /a secret name is/],
    [['put', 'run-inputs/', 'X'], 'long-enough-value', /scope prefix/],
    [['put', 'sandbox/', 'SHORT'], 'tiny42', /at least 8 characters/],
    [['list'], '', /wrong number of arguments/],
  ] as const) {
    const r = await secretsCli([...args], env, stdin);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why);
    assert.ok(!r.stderr.includes('tiny42'));
  }
  assert.equal((await secretsCli(['delete', 'sandbox/', 'NPM_TOKEN'], env)).code, 0);
  assert.equal((await secretsCli(['list', 'sandbox/'], env)).stdout, '');
  const aws = await secretsCli(['list', 'sandbox/'], { ...env, SECRETS_BACKEND: 'aws' });
  assert.equal(aws.code, 78, 'SECRETS_BACKEND=aws without AWS_REGION is a configuration error');
  assert.match(aws.stderr, /AWS_REGION/);
});
