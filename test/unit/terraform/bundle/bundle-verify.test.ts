// Signing and verifying a bundle in-process, against copies of terraform/dist in temporary directories: every
// way a bundle can differ from what was signed — an edit of the same size, an added, removed or renamed file,
// a file in a new folder, a symbolic link, the readable manifest changed or removed, the signature, its
// header or its payload swapped — is refused with the error naming it. bundle.test.ts runs the CLIs.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type CompactJWSHeaderParameters, CompactSign, exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { type LoadedKey, loadPrivateKey, loadPublicKey } from '../../../../terraform/bundle/keys.ts';
import { JWS_TYPE, listFiles, MANIFEST_JSON, MANIFEST_JWS, serializeManifest } from '../../../../terraform/bundle/manifest.ts';
import { signBundle } from '../../../../terraform/bundle/sign-bundle.ts';
import { verifyBundle } from '../../../../terraform/bundle/verify-bundle.ts';
import { distFile } from '../tf-json.ts';

const root = mkdtempSync(join(tmpdir(), 'agentplane-bundle-verify-'));
let counter = 0;
let signing: LoadedKey;
let trusted: LoadedKey;
let otherTrusted: LoadedKey;

before(async () => {
  const pair = async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    return { priv: await exportPKCS8(privateKey), pub: await exportSPKI(publicKey) };
  };
  const [mine, other] = await Promise.all([pair(), pair()]);
  signing = await loadPrivateKey({ inline: mine.priv, hint: 'test' });
  trusted = await loadPublicKey({ inline: mine.pub, hint: 'test' });
  otherTrusted = await loadPublicKey({ inline: other.pub, hint: 'test' });
});
after(() => rmSync(root, { recursive: true, force: true }));

/** A copy of terraform/dist with one more file in a subfolder, so nested paths are signed too. */
function freshBundle(): string {
  const dir = join(root, `bundle-${counter++}`);
  mkdirSync(dir);
  cpSync(distFile, join(dir, 'main.tf.json'));
  mkdirSync(join(dir, 'modules', 'extra'), { recursive: true });
  writeFileSync(join(dir, 'modules', 'extra', 'variables.tf.json'), '{"variable":{}}\n');
  return dir;
}

async function signedBundle(): Promise<string> {
  const dir = freshBundle();
  await signBundle(dir, signing, 'agentplane-customer-plane', '1.2.3');
  return dir;
}

/** Verification must fail with the "does not verify" error and exactly this message. */
async function refused(dir: string, message: RegExp, key = trusted) {
  await assert.rejects(verifyBundle(dir, key), (err: Error & { code?: string; exitCode?: number }) => {
    assert.equal(err.code, 'bundle_not_verified', err.message);
    assert.equal(err.exitCode, 1);
    assert.match(err.message, message);
    return true;
  });
}

/** Re-signs a hand-made payload (and header) with the vendor's own key: only the content is wrong. */
async function signRaw(dir: string, payload: string, header: CompactJWSHeaderParameters = { alg: 'EdDSA', typ: JWS_TYPE }) {
  const jws = await new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader(header).sign(signing.key);
  writeFileSync(join(dir, MANIFEST_JWS), `${jws}\n`);
  writeFileSync(join(dir, MANIFEST_JSON), payload);
}

test('a signed bundle verifies and returns its manifest: every file, nested ones included, in path order', async () => {
  const dir = await signedBundle();
  const m = await verifyBundle(dir, trusted);
  assert.equal(m.format, 'agentplane-terraform-bundle/v1');
  assert.equal(m.product, 'agentplane-customer-plane');
  assert.equal(m.version, '1.2.3');
  assert.deepEqual(
    m.files.map((f) => f.path),
    ['main.tf.json', 'modules/extra/variables.tf.json'],
  );
  const main = m.files[0];
  assert.equal(main.bytes, readFileSync(join(dir, 'main.tf.json')).length);
  assert.match(main.sha256, /^[0-9a-f]{64}$/);
  assert.equal(readFileSync(join(dir, MANIFEST_JSON), 'utf8'), serializeManifest(m), 'the readable copy is the signed manifest');
  // The header the Node-free verifier (verify-without-node.sh) checks for, literally.
  const header = JSON.parse(Buffer.from(readFileSync(join(dir, MANIFEST_JWS), 'utf8').split('.')[0], 'base64url').toString());
  assert.deepEqual(header, { alg: 'EdDSA', kid: signing.kid, typ: 'agentplane-bundle-manifest+jws' });
});

test('the manifest lists files in byte order of their paths, whatever order they were written in', () => {
  const dir = join(root, `order-${counter++}`);
  mkdirSync(dir);
  for (const name of ['z.tf.json', 'b/y.json', 'B.json', 'a.json', 'b/a.json', MANIFEST_JSON, MANIFEST_JWS]) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), name);
  }
  assert.deepEqual(listFiles(dir), ['B.json', 'a.json', 'b/a.json', 'b/y.json', 'z.tf.json']);
});

test('an edit that keeps the file size is refused, naming the file', async () => {
  const dir = await signedBundle();
  const file = join(dir, 'main.tf.json');
  const original = readFileSync(file);
  const edited = Buffer.from(original);
  edited[edited.indexOf('true')] = 'T'.charCodeAt(0);
  assert.equal(edited.length, original.length);
  writeFileSync(file, edited);
  await refused(dir, /^main\.tf\.json: modified$/);
});

test('an edit that changes the size is refused, naming the file (nested paths too)', async () => {
  const dir = await signedBundle();
  writeFileSync(join(dir, 'modules', 'extra', 'variables.tf.json'), '{"variable":{"x":{}}}\n');
  await refused(dir, /^modules\/extra\/variables\.tf\.json: modified$/);
});

test('an added file is refused, at the top and in a new folder', async () => {
  const top = await signedBundle();
  writeFileSync(join(top, 'override.tf.json'), '{}');
  await refused(top, /^override\.tf\.json: unexpected$/);
  const nested = await signedBundle();
  mkdirSync(join(nested, 'new'));
  writeFileSync(join(nested, 'new', 'x.tf.json'), '{}');
  await refused(nested, /^new\/x\.tf\.json: unexpected$/);
});

test('an empty added file is refused too', async () => {
  const dir = await signedBundle();
  writeFileSync(join(dir, 'zz_override.tf.json'), '');
  await refused(dir, /^zz_override\.tf\.json: unexpected$/);
});

test('a removed file is refused, naming it', async () => {
  const dir = await signedBundle();
  unlinkSync(join(dir, 'modules', 'extra', 'variables.tf.json'));
  await refused(dir, /^modules\/extra\/variables\.tf\.json: missing$/);
});

test('a renamed file is refused as missing under its signed name, and the count of further differences is given', async () => {
  const dir = await signedBundle();
  renameSync(join(dir, 'main.tf.json'), join(dir, 'main_override.tf.json'));
  await refused(dir, /^main\.tf\.json: missing \(and 1 more\)$/);
});

test('several differences name the first in path order and count the rest', async () => {
  const dir = await signedBundle();
  writeFileSync(join(dir, 'a.tf.json'), '{}');
  unlinkSync(join(dir, 'main.tf.json'));
  writeFileSync(join(dir, 'modules', 'extra', 'variables.tf.json'), 'changed');
  await refused(dir, /^a\.tf\.json: unexpected \(and 2 more\)$/);
});

test('a symbolic link in the bundle is refused when signing and when verifying', async () => {
  const dir = freshBundle();
  symlinkSync(distFile, join(dir, 'linked.tf.json'));
  await assert.rejects(signBundle(dir, signing, 'p', 'v'), {
    code: 'bundle_file_rejected',
    message: /symbolic link in bundle: linked\.tf\.json/,
  });
  const signed = await signedBundle();
  symlinkSync(join(signed, 'main.tf.json'), join(signed, 'modules', 'again.tf.json'));
  await assert.rejects(verifyBundle(signed, trusted), {
    code: 'bundle_file_rejected',
    message: /symbolic link in bundle: modules\/again\.tf\.json/,
  });
});

test('an empty folder has nothing to sign', async () => {
  const dir = join(root, `empty-${counter++}`);
  mkdirSync(dir);
  await assert.rejects(signBundle(dir, signing, 'p', 'v'), { code: 'bundle_file_rejected', message: /nothing to sign/ });
});

test('the readable manifest must be the signed one, byte for byte, and must be there', async () => {
  const edited = await signedBundle();
  const m = join(edited, MANIFEST_JSON);
  writeFileSync(m, readFileSync(m, 'utf8').replace('"1.2.3"', '"1.2.4"'));
  await refused(edited, /^MANIFEST\.json: differs from the signed manifest$/);
  const trailing = await signedBundle();
  writeFileSync(join(trailing, MANIFEST_JSON), `${readFileSync(join(trailing, MANIFEST_JSON), 'utf8')}\n`);
  await refused(trailing, /^MANIFEST\.json: differs from the signed manifest$/);
  const removed = await signedBundle();
  unlinkSync(join(removed, MANIFEST_JSON));
  await refused(removed, /^MANIFEST\.json: missing$/);
});

test('an unsigned bundle, or a signature file that is not a JWS, is refused', async () => {
  await refused(freshBundle(), /^MANIFEST\.jws: missing — this bundle is not signed$/);
  const dir = await signedBundle();
  writeFileSync(join(dir, MANIFEST_JWS), 'not a jws\n');
  await refused(dir, /^MANIFEST\.jws: not a compact JWS$/);
});

test('a signature by another key is refused, naming the key given and the key the manifest names', async () => {
  const dir = await signedBundle();
  await refused(
    dir,
    new RegExp(`signature does not verify with the given public key \\(key ${otherTrusted.kid}; manifest names ${signing.kid}\\)`),
    otherTrusted,
  );
});

test('a payload swapped under a valid signature is refused', async () => {
  const dir = await signedBundle();
  const [header, payload, signature] = readFileSync(join(dir, MANIFEST_JWS), 'utf8').trim().split('.');
  const forged = Buffer.from(Buffer.from(payload, 'base64url').toString().replace('"1.2.3"', '"9.9.9"')).toString('base64url');
  writeFileSync(join(dir, MANIFEST_JWS), `${header}.${forged}.${signature}\n`);
  await refused(dir, /signature does not verify/);
});

test("a JWS of another type, even signed with the vendor's key, is not a bundle manifest", async () => {
  const dir = await signedBundle();
  await signRaw(dir, readFileSync(join(dir, MANIFEST_JSON), 'utf8'), { alg: 'EdDSA', typ: 'JWT' });
  await refused(dir, new RegExp(`^MANIFEST\\.jws: typ is JWT, expected ${JWS_TYPE.replace('+', '\\+')}$`));
  await signRaw(dir, readFileSync(join(dir, MANIFEST_JSON), 'utf8'), { alg: 'EdDSA' });
  await refused(dir, /^MANIFEST\.jws: typ is undefined/);
});

test('a signed payload that is not a valid manifest is refused as such', async () => {
  const dir = await signedBundle();
  const good = JSON.parse(readFileSync(join(dir, MANIFEST_JSON), 'utf8')) as { files: Record<string, unknown>[] };
  const file = good.files[0];
  const cases: [string, unknown][] = [
    ['not JSON', 'not json'],
    ['another format', { ...good, format: 'agentplane-terraform-bundle/v2' }],
    ['no product', { ...good, product: undefined }],
    ['no version', { ...good, version: 7 }],
    ['no file list', { ...good, files: undefined }],
    ['an empty path', { ...good, files: [{ ...file, path: '' }, ...good.files.slice(1)] }],
    ['an upper-case digest', { ...good, files: [{ ...file, sha256: String(file.sha256).toUpperCase() }, ...good.files.slice(1)] }],
    ['a short digest', { ...good, files: [{ ...file, sha256: String(file.sha256).slice(1) }, ...good.files.slice(1)] }],
    ['a digest with a suffix', { ...good, files: [{ ...file, sha256: `${String(file.sha256)}0` }, ...good.files.slice(1)] }],
    ['a negative size', { ...good, files: [{ ...file, bytes: -1 }, ...good.files.slice(1)] }],
    ['a fractional size', { ...good, files: [{ ...file, bytes: 1.5 }, ...good.files.slice(1)] }],
  ];
  for (const [what, payload] of cases) {
    await signRaw(dir, typeof payload === 'string' ? payload : serializeManifest(payload as never));
    await refused(dir, /^MANIFEST\.jws: signed payload is not a bundle manifest$/).catch((e: Error) =>
      assert.fail(`${what}: ${e.message}`),
    );
  }
});
