import {
  CompactSign,
  compactVerify,
  decodeProtectedHeader,
  exportJWK,
  calculateJwkThumbprint,
  generateKeyPair,
  importJWK,
  type JWK,
  type CryptoKey,
  errors,
} from 'jose';
import { canonicalJson } from './canonical-json.ts';
import { AgentplaneError } from './errors.ts';
import type { UpKind } from './subjects.ts';

/**
 * Up messages are JWS (EdDSA/Ed25519) over canonical JSON, signed with the tenant's own key that the
 * customer plane generated and registered at enrollment. The control plane can verify, never forge.
 */
export type UpBatch = {
  tenant: string;
  /** Strictly increasing per tenant key; the control plane refuses any seq it has seen. */
  seq: number;
  /** Seconds since epoch when the batch was signed. */
  iat: number;
  kind: UpKind;
  events: unknown[];
};

export type TenantSigningKey = { kid: string; privateKey: CryptoKey; publicJwk: JWK };

const ALG = 'EdDSA';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function generateTenantKey(): Promise<{ kid: string; privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, privateJwk: { ...(await exportJWK(privateKey)), kid, alg: ALG }, publicJwk: { ...publicJwk, kid, alg: ALG } };
}

export async function importTenantKey(privateJwk: JWK): Promise<TenantSigningKey> {
  const { d: _d, ...pub } = privateJwk;
  const kid = await calculateJwkThumbprint({ kty: pub.kty, crv: pub.crv, x: pub.x } as JWK);
  const privateKey = (await importJWK(privateJwk, ALG)) as CryptoKey;
  return { kid, privateKey, publicJwk: { kty: pub.kty, crv: pub.crv, x: pub.x, kid, alg: ALG } };
}

export async function signBatch(batch: UpBatch, key: TenantSigningKey): Promise<string> {
  return new CompactSign(encoder.encode(canonicalJson(batch)))
    .setProtectedHeader({ alg: ALG, kid: key.kid, typ: 'ap-up+jws' })
    .sign(key.privateKey);
}

export class SignatureError extends AgentplaneError {
  declare readonly code: 'malformed' | 'unknown_key' | 'bad_signature';
  constructor(code: SignatureError['code'], message: string, cause?: unknown) {
    super(code, message, { cause });
  }
}

/** Reads the kid without trusting anything else in the message. */
export function jwsKid(jws: string): string | undefined {
  try {
    const kid = decodeProtectedHeader(jws).kid;
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}

/** Verifies with the key the caller resolved for the kid; returns the parsed (not yet schema-checked) payload. */
export async function verifyBatch(jws: string, publicJwk: JWK): Promise<{ kid: string; payload: unknown }> {
  let key: CryptoKey | Uint8Array;
  try {
    key = await importJWK(publicJwk, ALG);
  } catch (err) {
    throw new SignatureError('unknown_key', 'registered key cannot be imported', err);
  }
  let result;
  try {
    result = await compactVerify(jws, key, { algorithms: [ALG] });
  } catch (err) {
    // Not a JWS at all (jose's JWSInvalid) is malformed; everything else is a signature that does not verify.
    throw new SignatureError(err instanceof errors.JWSInvalid ? 'malformed' : 'bad_signature', 'batch signature does not verify', err);
  }
  try {
    return { kid: String(result.protectedHeader.kid ?? ''), payload: JSON.parse(decoder.decode(result.payload)) };
  } catch (err) {
    throw new SignatureError('malformed', 'signed payload is not JSON', err);
  }
}
