import {
  SignJWT,
  jwtVerify,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  errors as joseErrors,
  type JWK,
  type CryptoKey,
} from 'jose';
import { randomUUID } from 'node:crypto';
import { ForbiddenError, UnauthorizedError } from './errors.ts';

/**
 * Control-plane JWTs. Each token has exactly one `typ`; every route accepts exactly one, so an
 * enrollment token cannot call the API and an agent token cannot enroll. The signing key set is
 * a JWKS: the first private key signs, every public key verifies (rotation = prepend a new key,
 * drop the old one after the longest token lifetime).
 */
export const TOKEN_TYPES = ['operator', 'api', 'agent', 'enroll', 'telemetry'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

export const TOKEN_ISSUER = 'agentplane-control-plane';
export const TOKEN_AUDIENCE = 'agentplane';
export const TOKEN_ALG = 'EdDSA';

export type TokenClaims = {
  typ: TokenType;
  /** Tenant UUID; operator tokens carry the wildcard "*" because they administer all tenants. */
  tenant: string;
  sub: string;
  jti: string;
  iat: number;
  exp: number;
};

export type Clock = () => number;

/** Generates a signing key (for the demo and tests; production keys come from the environment). */
export async function generateSigningJwk(kid: string = randomUUID()): Promise<JWK> {
  const { privateKey } = await generateKeyPair(TOKEN_ALG, { crv: 'Ed25519', extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: TOKEN_ALG, use: 'sig' };
}

/** Public half of a private JWK set, safe to publish at /.well-known/jwks.json. */
export function publicJwks(privateKeys: JWK[]): { keys: JWK[] } {
  return {
    keys: privateKeys.map(({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub }) => pub),
  };
}

export function createTokenIssuer(deps: { keys: JWK[]; clock?: Clock }) {
  const current = deps.keys[0];
  if (!current?.d || !current.kid) throw new Error('token signing key must be a private JWK with a kid');
  const clock = deps.clock ?? Date.now;
  let keyPromise: Promise<CryptoKey | Uint8Array> | undefined;
  return {
    async issue(input: { typ: TokenType; tenant: string; sub?: string; ttlSeconds: number }): Promise<string> {
      keyPromise ??= importJWK(current, current.alg ?? TOKEN_ALG);
      const now = Math.floor(clock() / 1000);
      return new SignJWT({ typ: input.typ, tenant: input.tenant })
        .setProtectedHeader({ alg: current.alg ?? TOKEN_ALG, kid: current.kid })
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setSubject(input.sub ?? input.tenant)
        .setJti(randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + input.ttlSeconds)
        .sign(await keyPromise);
    },
  };
}
export type TokenIssuer = ReturnType<typeof createTokenIssuer>;

export function createTokenVerifier(deps: {
  jwks: { keys: JWK[] };
  clock?: Clock;
  /** Tenants can be removed while their tokens are still unexpired; this check refuses those. */
  isTenantActive?: (tenant: string) => Promise<boolean>;
}) {
  const keySet = createLocalJWKSet(deps.jwks);
  const clock = deps.clock ?? Date.now;
  return {
    /** Verifies signature, issuer, audience, expiry and the one accepted `typ`. */
    async verify(token: string, accept: TokenType): Promise<TokenClaims> {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, keySet, {
          issuer: TOKEN_ISSUER,
          audience: TOKEN_AUDIENCE,
          algorithms: ['EdDSA', 'ES256'],
          currentDate: new Date(clock()),
        }));
      } catch (err) {
        const code = err instanceof joseErrors.JWTExpired ? 'token_expired' : 'token_invalid';
        throw new UnauthorizedError('bearer token is not valid', { code, cause: err });
      }
      const typ = payload.typ;
      if (typeof typ !== 'string' || !(TOKEN_TYPES as readonly string[]).includes(typ)) {
        throw new UnauthorizedError('token has no known typ claim', { code: 'token_invalid' });
      }
      if (typ !== accept) {
        throw new ForbiddenError(`this route accepts ${accept} tokens, not ${typ}`, { code: 'token_wrong_type' });
      }
      if (typeof payload.tenant !== 'string' || typeof payload.sub !== 'string') {
        throw new UnauthorizedError('token lacks tenant or subject', { code: 'token_invalid' });
      }
      // Only operator tokens span tenants; every other type names exactly one existing tenant.
      if ((typ === 'operator') !== (payload.tenant === '*')) {
        throw new UnauthorizedError('token tenant claim does not fit its type', { code: 'token_invalid' });
      }
      if (typ !== 'operator' && deps.isTenantActive && !(await deps.isTenantActive(payload.tenant))) {
        throw new ForbiddenError('token belongs to an unknown tenant', { code: 'token_wrong_tenant' });
      }
      return payload as unknown as TokenClaims;
    },
  };
}
export type TokenVerifier = ReturnType<typeof createTokenVerifier>;
