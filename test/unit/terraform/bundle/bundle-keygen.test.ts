// The keygen CLI: the vendor's key pair, private half 0600 in a 0700 folder, the key id printed as the one
// sign and verify will report, and never a key replaced (either half) — each run as a subprocess.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { calculateJwkThumbprint, exportJWK, importSPKI } from 'jose';
import { cli } from './run-cli.ts';

const root = mkdtempSync(join(tmpdir(), 'agentplane-bundle-keygen-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('keygen writes a 0600 private key in a 0700 folder, prints its key id, and refuses to overwrite either half', async () => {
  // A folder that does not exist yet, two levels deep: keygen makes it, private to the vendor's user.
  const keys = join(root, 'vendor', 'keys');
  const made = await cli('keygen.ts', ['--out', keys]);
  assert.equal(made.code, 0, made.stderr);
  const priv = join(keys, 'bundle-signing-key.pem');
  const pub = join(keys, 'bundle-signing-key.pub.pem');
  assert.equal(statSync(priv).mode & 0o777, 0o600);
  assert.equal(statSync(keys).mode & 0o777, 0o700);
  assert.match(readFileSync(priv, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  const published = readFileSync(pub, 'utf8');
  const thumbprint = await calculateJwkThumbprint(await exportJWK(await importSPKI(published, 'EdDSA', { extractable: true })), 'sha256');
  assert.equal(made.stdout, `private key: ${priv} (0600)\npublic key:  ${pub}\nkid:         ${thumbprint}\n`);

  const again = await cli('keygen.ts', ['--out', keys]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /^error: .*bundle-signing-key\.pem already exists; keygen never replaces a key/);
  // Only the published half left in the folder: it is not replaced either (bundles signed for it still verify).
  const pubOnly = join(root, 'pub-only');
  cpSync(keys, pubOnly, { recursive: true });
  unlinkSync(join(pubOnly, 'bundle-signing-key.pem'));
  const replaced = await cli('keygen.ts', ['--out', pubOnly]);
  assert.equal(replaced.code, 2);
  assert.match(replaced.stderr, /bundle-signing-key\.pub\.pem already exists/);
  assert.equal(readFileSync(join(pubOnly, 'bundle-signing-key.pub.pem'), 'utf8'), published);
  assert.ok(!existsSync(join(pubOnly, 'bundle-signing-key.pem')), 'no private key without its public half');
});

test('keygen without --out says what to pass, and refuses options it does not know', async () => {
  const r = await cli('keygen.ts', []);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'error: pass --out <directory> for the new key pair (keep it outside the repository)\n');
  const typo = await cli('keygen.ts', ['--out', join(root, 'typo'), '--force']);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /^error: Unknown option '--force'/);
  assert.ok(!existsSync(join(root, 'typo')), 'nothing was made');
});
