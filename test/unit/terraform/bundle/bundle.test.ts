// The signed bundle: sign and verify run as the CLIs customers and the release job run, in
// subprocesses, against copies of terraform/dist in temporary directories: keys from files, flags and the
// environment, exit codes, and what the operator reads. Every way a bundle can differ from what was signed
// is tried in-process in bundle-verify.test.ts (the key forms in bundle-keys.test.ts; keygen in bundle-keygen.test.ts).
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { distFile, repoRoot } from '../tf-json.ts';
import { BUNDLE, cli, type Result } from './run-cli.ts';

const root = mkdtempSync(join(tmpdir(), 'agentplane-bundle-test-'));
const keys = join(root, 'keys');
const otherKeys = join(root, 'other-keys');
const priv = join(keys, 'bundle-signing-key.pem');
const pub = join(keys, 'bundle-signing-key.pub.pem');
let counter = 0;

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

/** The key id both CLIs must report: the RFC 7638 thumbprint of the vendor's public key. */
let kid = '';
/** Signed once with --key-file, then only read: the tests that do not change a bundle share it (each CLI run costs seconds). */
let shared = '';
let sharedSign: Result;
before(async () => {
  // Key pairs as keygen writes them (bundle-keygen.test.ts runs keygen itself), made in-process to save two CLI runs.
  for (const out of [keys, otherKeys]) {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    mkdirSync(out, { mode: 0o700 });
    writeFileSync(join(out, 'bundle-signing-key.pem'), await exportPKCS8(privateKey), { mode: 0o600 });
    writeFileSync(join(out, 'bundle-signing-key.pub.pem'), await exportSPKI(publicKey));
    if (out === keys) kid = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
  }
  shared = freshBundle();
  sharedSign = await cli('sign.ts', ['--dir', shared, '--key-file', priv]);
});
after(() => rmSync(root, { recursive: true, force: true }));

test('a signed copy of terraform/dist verifies; both CLIs name the key and the release', async () => {
  const dir = shared;
  const signed = sharedSign;
  assert.equal(signed.code, 0, signed.stderr);
  const manifest = JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8')) as {
    product: string;
    version: string;
    files: { path: string }[];
  };
  const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
  assert.equal(manifest.product, 'agentplane-customer-plane');
  assert.equal(manifest.version, version);
  assert.ok(manifest.files.some((f) => f.path === 'main.tf.json'));
  assert.equal(signed.stdout.trim(), `signed ${manifest.files.length} files in ${dir} with key ${kid}`);
  const r = await verify(dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `verified ${manifest.files.length} files of agentplane-customer-plane ${version}, signed by key ${kid}`);
  const fromEnv = await cli('verify.ts', ['--dir', dir], { AGENTPLANE_BUNDLE_PUBLIC_KEY: readFileSync(pub, 'utf8') });
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
});

test('the CLIs refuse arguments they do not know instead of ignoring them', async () => {
  const dir = shared;
  const positional = await cli('verify.ts', [dir, '--public-key-file', pub]);
  assert.equal(positional.code, 2);
  assert.match(positional.stderr, /^error: .*positional/i);
  const typo = await cli('verify.ts', ['--dir', dir, '--public-key', pub]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /^error: Unknown option '--public-key'/);
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

test('a bundle verified with a different public key fails', async () => {
  const r = await verify(shared, join(otherKeys, 'bundle-signing-key.pub.pem'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /signature does not verify/);
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
  const r = await cli('verify.ts', ['--dir', shared]);
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
  const dir = join(root, `bundle-${counter++}`);
  cpSync(shared, dir, { recursive: true });
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
