import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileSecretStore } from '../../../../customer-plane/secrets/file-store.ts';

/** A fresh temporary directory, removed when the test ends. */
function emptyDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('secrets are written to a file only the owner can read, and read back', async (t) => {
  const dir = emptyDir(t);
  const path = join(dir, 'state', 'secrets.json');
  const store = createFileSecretStore(path);
  await store.put('openai-api-key', 'sk-test');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'state')).mode & 0o777, 0o700);
  assert.equal(await store.get('openai-api-key'), 'sk-test');
  assert.equal(await store.get('anthropic-api-key'), undefined);
});

test('a secrets file that others can read is refused rather than used', async (t) => {
  const dir = emptyDir(t);
  const path = join(dir, 'secrets.json');
  const store = createFileSecretStore(path);
  await store.put('agent-token', 't');
  chmodSync(path, 0o644);
  await assert.rejects(store.get('agent-token'), /readable by others/);
});
