// Loading the vendor's bundle-signing key pair. Ed25519 only; JWK or PEM. There is deliberately no
// default key anywhere: a bundle signed with a key that ships in the repository would prove nothing.
import { readFileSync } from 'node:fs';
import { calculateJwkThumbprint, exportJWK, importJWK, importPKCS8, importSPKI, type CryptoKey, type JWK } from 'jose';
import { BundleKeyError } from './errors.ts';

export interface LoadedKey {
  key: CryptoKey;
  /** The key's `kid` if its JWK has one, else its RFC 7638 thumbprint. */
  kid: string;
}

export interface KeySource {
  /** Key material itself (JWK JSON or PEM), e.g. from a CI secret. */
  inline?: string;
  /** Path to a file holding the key material. */
  file?: string;
  /** Names the options in error messages, so the operator knows what to set. */
  hint: string;
}

function material(src: KeySource): string {
  if (src.file) {
    try {
      return readFileSync(src.file, 'utf8');
    } catch (e) {
      throw new BundleKeyError(`cannot read key file ${src.file}: ${(e as Error).message}`);
    }
  }
  if (src.inline && src.inline.trim() !== '') return src.inline;
  throw new BundleKeyError(`no key given: ${src.hint}. There is no default key.`);
}

async function thumbprintKid(publicJwk: JWK, explicit?: string): Promise<string> {
  if (explicit) return explicit;
  return calculateJwkThumbprint({ kty: publicJwk.kty, crv: publicJwk.crv, x: publicJwk.x } as JWK, 'sha256');
}

function assertEd25519Jwk(jwk: JWK, wantPrivate: boolean): void {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') throw new BundleKeyError('key is not an Ed25519 JWK (kty OKP, crv Ed25519)');
  if (wantPrivate && !jwk.d) throw new BundleKeyError('signing needs the private key; this JWK has no private part');
}

/**
 * Key material the libraries refuse (malformed JSON, a PEM of another key type) is reported as a key
 * problem, not as a library error: the operator learns which key is wrong and the CLI exits 2.
 */
async function imported<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new BundleKeyError(`${what} is not a usable Ed25519 key: ${(e as Error).message}`);
  }
}

// jose refuses PEMs of other curves under 'EdDSA' itself; this check keeps the promise if it ever widens.
function assertEd25519(key: CryptoKey): void {
  if (key.algorithm.name !== 'Ed25519') throw new BundleKeyError(`key algorithm is ${key.algorithm.name}, expected Ed25519`);
}

export async function loadPrivateKey(src: KeySource): Promise<LoadedKey> {
  const text = material(src).trim();
  if (text.startsWith('{')) {
    const jwk = await imported('signing key JWK', () => JSON.parse(text) as JWK);
    assertEd25519Jwk(jwk, true);
    const key = (await imported('signing key JWK', () => importJWK(jwk, 'EdDSA'))) as CryptoKey;
    return { key, kid: await thumbprintKid(jwk, jwk.kid) };
  }
  if (text.includes('-----BEGIN PRIVATE KEY-----')) {
    const key = await imported('signing key PEM', () => importPKCS8(text, 'EdDSA', { extractable: true }));
    assertEd25519(key);
    return { key, kid: await thumbprintKid(await exportJWK(key)) };
  }
  throw new BundleKeyError('signing key must be an Ed25519 private JWK or a PKCS#8 PEM (BEGIN PRIVATE KEY)');
}

export async function loadPublicKey(src: KeySource): Promise<LoadedKey> {
  const text = material(src).trim();
  if (text.startsWith('{')) {
    const jwk = await imported('public key JWK', () => JSON.parse(text) as JWK);
    assertEd25519Jwk(jwk, false);
    const { d: _private, ...pub } = jwk;
    const key = (await imported('public key JWK', () => importJWK(pub, 'EdDSA'))) as CryptoKey;
    return { key, kid: await thumbprintKid(pub, jwk.kid) };
  }
  if (text.includes('-----BEGIN PUBLIC KEY-----')) {
    const key = await imported('public key PEM', () => importSPKI(text, 'EdDSA', { extractable: true }));
    assertEd25519(key);
    return { key, kid: await thumbprintKid(await exportJWK(key)) };
  }
  throw new BundleKeyError('public key must be an Ed25519 JWK or an SPKI PEM (BEGIN PUBLIC KEY)');
}
