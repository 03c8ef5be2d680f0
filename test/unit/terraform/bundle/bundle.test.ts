// The signed bundle: keygen, sign and verify run as the CLIs customers and the release job run, in
// subprocesses, against copies of terraform/dist in temporary directories.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { distFile, repoRoot } from '../tf-json.ts';

const BUNDLE = join(repoRoot, 'terraform', 'bundle');
const root = mkdtempSync(join(tmpdir(), 'agentplane-bundle-test-'));
const keys = join(root, 'keys');
const otherKeys = join(root, 'other-keys');
const priv = join(keys, 'bundle-signing-key.pem');
const pub = join(keys, 'bundle-signing-key.pub.pem');
let counter = 0;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one of the CLIs with a clean environment: no AGENTPLANE_* key variables leak in from the shell. */
function cli(script: string, args: string[], extraEnv: Record<string, string> = {}): Promise<Result> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGENTPLANE_') && v !== undefined) env[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [join(BUNDLE, script), ...args], { env: { ...env, ...extraEnv } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function freshBundle(): string {
  const dir = join(root, `bundle-${counter++}`);
  cpSync(join(distFile, '..'), dir, { recursive: true });
  // Signing artifacts from a release run in the working tree are not part of the copy under test.
  for (const f of ['MANIFEST.json', 'MANIFEST.jws']) rmSync(join(dir, f), { force: true });
  return dir;
}

async function signedBundle(): Promise<string> {
  const dir = freshBundle();
  const r = await cli('sign.ts', ['--dir', dir], { AGENTPLANE_BUNDLE_SIGNING_KEY_FILE: priv });
  assert.equal(r.code, 0, r.stderr);
  return dir;
}

const verify = (dir: string, key = pub) => cli('verify.ts', ['--dir', dir, '--public-key-file', key]);

before(async () => {
  for (const out of [keys, otherKeys]) {
    const r = await cli('keygen.ts', ['--out', out]);
    assert.equal(r.code, 0, r.stderr);
  }
});
after(() => rmSync(root, { recursive: true, force: true }));

test('keygen writes a 0600 private key and refuses to overwrite it', async () => {
  assert.equal(statSync(priv).mode & 0o777, 0o600);
  assert.match(readFileSync(pub, 'utf8'), /BEGIN PUBLIC KEY/);
  const again = await cli('keygen.ts', ['--out', keys]);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /EEXIST|exists/);
});

test('a signed copy of terraform/dist verifies', async () => {
  const dir = await signedBundle();
  const r = await verify(dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /verified \d+ files/);
  const manifest = JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8')) as { files: { path: string }[] };
  assert.ok(manifest.files.some((f) => f.path === 'main.tf.json'));
});

test('a modified file fails verification, naming that file', async () => {
  const dir = await signedBundle();
  appendFileSync(join(dir, 'main.tf.json'), ' ');
  const r = await verify(dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /main\.tf\.json: modified/);
});

test('an edit that keeps the file size fails verification, naming that file, with both verifiers', async () => {
  const dir = await signedBundle();
  const file = join(dir, 'main.tf.json');
  const original = readFileSync(file, 'utf8');
  // Same bytes count, different content: a check on sizes alone would pass it.
  const edited = original.replace('"enable_key_rotation": true', '"enable_key_rotation": TRUE');
  assert.notEqual(edited, original);
  assert.equal(Buffer.byteLength(edited), Buffer.byteLength(original));
  writeFileSync(file, edited);
  const r = await verify(dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /main\.tf\.json: modified/);
  if (!haveTools()) return;
  const shell = await new Promise<Result>((resolve) =>
    execFile('bash', [join(BUNDLE, 'verify-without-node.sh'), dir, pub], (err, stdout, stderr) =>
      resolve({ code: err ? 1 : 0, stdout, stderr }),
    ),
  );
  assert.equal(shell.code, 1);
  assert.match(shell.stderr, /main\.tf\.json: modified/);
});

test('an added file fails verification, naming that file', async () => {
  const dir = await signedBundle();
  writeFileSync(join(dir, 'override.tf.json'), '{}');
  const r = await verify(dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /override\.tf\.json: unexpected/);
});

test('a removed file fails verification, naming that file', async () => {
  const dir = await signedBundle();
  unlinkSync(join(dir, 'main.tf.json'));
  const r = await verify(dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /main\.tf\.json: missing/);
});

test('a manifest edited after signing fails verification', async () => {
  const dir = await signedBundle();
  const m = join(dir, 'MANIFEST.json');
  const edited = readFileSync(m, 'utf8').replace(/"sha256": "[0-9a-f]{64}"/, `"sha256": "${'f'.repeat(64)}"`);
  assert.notEqual(edited, readFileSync(m, 'utf8'));
  writeFileSync(m, edited);
  const r = await verify(dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /MANIFEST\.json: differs from the signed manifest/);
});

test('a bundle verified with a different public key fails', async () => {
  const dir = await signedBundle();
  const r = await verify(dir, join(otherKeys, 'bundle-signing-key.pub.pem'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /signature does not verify/);
});

test('an unsigned bundle fails verification', async () => {
  const r = await verify(freshBundle());
  assert.equal(r.code, 1);
  assert.match(r.stderr, /MANIFEST\.jws: missing/);
});

test('signing without a key fails with a clear message; there is no default key', async () => {
  const dir = freshBundle();
  const r = await cli('sign.ts', ['--dir', dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /AGENTPLANE_BUNDLE_SIGNING_KEY/);
  assert.match(r.stderr, /no default key/);
  assert.throws(() => statSync(join(dir, 'MANIFEST.jws')), 'nothing was written');
});

test('verifying without a public key fails with a clear message', async () => {
  const dir = await signedBundle();
  const r = await cli('verify.ts', ['--dir', dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /AGENTPLANE_BUNDLE_PUBLIC_KEY/);
});

test('a JWK key from the environment signs, and signing is deterministic', async () => {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'vendor-2025-01' });
  const pubJwk = join(root, 'jwk.pub.json');
  writeFileSync(pubJwk, JSON.stringify(await exportJWK(publicKey)));
  const dir = freshBundle();
  const env = { AGENTPLANE_BUNDLE_SIGNING_KEY: jwk };
  assert.equal((await cli('sign.ts', ['--dir', dir], env)).code, 0);
  const first = readFileSync(join(dir, 'MANIFEST.jws'), 'utf8');
  assert.equal((await cli('sign.ts', ['--dir', dir], env)).code, 0);
  assert.equal(readFileSync(join(dir, 'MANIFEST.jws'), 'utf8'), first);
  const header = JSON.parse(Buffer.from(first.split('.')[0], 'base64url').toString()) as Record<string, string>;
  assert.equal(header.alg, 'EdDSA');
  assert.equal(header.kid, 'vendor-2025-01');
  const r = await verify(dir, pubJwk);
  assert.equal(r.code, 0, r.stderr);
});

test('a non-Ed25519 key is refused', async () => {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const r = await cli('sign.ts', ['--dir', freshBundle()], { AGENTPLANE_BUNDLE_SIGNING_KEY: JSON.stringify(await exportJWK(privateKey)) });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Ed25519/);
});

function haveTools(): boolean {
  try {
    for (const t of ['openssl', 'jq', 'sha256sum']) execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('the bundle also verifies with standard tools (openssl, jq, sha256sum), and tampering is caught', {
  skip: haveTools() ? false : 'openssl/jq missing',
}, async () => {
  const dir = await signedBundle();
  const script = join(BUNDLE, 'verify-without-node.sh');
  const ok = execFileSync('bash', [script, dir, pub], { encoding: 'utf8' });
  assert.match(ok, /verified \d+ files/);
  const wrongKey = await new Promise<Result>((resolve) =>
    execFile('bash', [script, dir, join(otherKeys, 'bundle-signing-key.pub.pem')], (err, stdout, stderr) =>
      resolve({ code: err ? 1 : 0, stdout, stderr }),
    ),
  );
  assert.equal(wrongKey.code, 1);
  appendFileSync(join(dir, 'main.tf.json'), ' ');
  const tampered = await new Promise<Result>((resolve) =>
    execFile('bash', [script, dir, pub], (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr })),
  );
  assert.equal(tampered.code, 1);
  assert.match(tampered.stderr, /main\.tf\.json: modified/);
});
