import {
  SignJWT,
  decodeProtectedHeader,
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
/** JOSE header `typ` of our tokens (explicit typing, RFC 8725 §3.11): a JWT minted for anything else is refused. */
export const TOKEN_HEADER_TYP = 'agentplane+jwt';

/**
 * Longest lifetime (`exp - iat`) a token of each type may have; a signed token that claims more is
 * refused, so a leaked signing key or a mistaken mint cannot produce a token that never expires.
 */
export const MAX_TOKEN_LIFETIME_SECONDS: Record<TokenType, number> = {
  operator: 24 * 3600,
  enroll: 15 * 60,
  api: 90 * 24 * 3600,
  agent: 90 * 24 * 3600,
  telemetry: 90 * 24 * 3600,
};
/** Clock difference tolerated between the issuer and a verifier for `iat`. */
export const MAX_CLOCK_SKEW_SECONDS = 60;

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
      if (input.ttlSeconds > MAX_TOKEN_LIFETIME_SECONDS[input.typ]) {
        throw new RangeError(`${input.typ} tokens live at most ${MAX_TOKEN_LIFETIME_SECONDS[input.typ]} s`);
      }
      keyPromise ??= importJWK(current, current.alg ?? TOKEN_ALG);
      const now = Math.floor(clock() / 1000);
      return new SignJWT({ typ: input.typ, tenant: input.tenant })
        .setProtectedHeader({ alg: current.alg ?? TOKEN_ALG, kid: current.kid, typ: TOKEN_HEADER_TYP })
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
    /**
     * Verifies the JOSE header (`typ`, a `kid` of the key set), signature, issuer, audience, that
     * `exp`, `iat`, `jti` and `sub` are present, expiry, `iat` not in the future, the lifetime the
     * type allows, and the one accepted `typ` claim. Cheap header checks come before the signature.
     */
    async verify(token: string, accept: TokenType): Promise<TokenClaims> {
      const invalid = (message: string, cause?: unknown) => new UnauthorizedError(message, { code: 'token_invalid', cause });
      let header;
      try {
        header = decodeProtectedHeader(token);
      } catch (err) {
        throw invalid('bearer token is not valid', err);
      }
      if (header.typ !== TOKEN_HEADER_TYP) throw invalid('bearer token is not an agentplane token (JOSE typ)');
      if (typeof header.kid !== 'string' || header.kid.length === 0) throw invalid('bearer token names no signing key (kid)');
      const now = clock();
      let payload;
      try {
        ({ payload } = await jwtVerify(token, keySet, {
          issuer: TOKEN_ISSUER,
          audience: TOKEN_AUDIENCE,
          algorithms: ['EdDSA', 'ES256'],
          typ: TOKEN_HEADER_TYP,
          requiredClaims: ['exp', 'iat', 'jti', 'sub'],
          currentDate: new Date(now),
        }));
      } catch (err) {
        const code = err instanceof joseErrors.JWTExpired ? 'token_expired' : 'token_invalid';
        throw new UnauthorizedError('bearer token is not valid', { code, cause: err });
      }
      const typ = payload.typ;
      if (typeof typ !== 'string' || !(TOKEN_TYPES as readonly string[]).includes(typ)) {
        throw invalid('token has no known typ claim');
      }
      const { iat, exp, jti } = payload as { iat: number; exp: number; jti: unknown };
      if (iat > now / 1000 + MAX_CLOCK_SKEW_SECONDS) throw invalid('token was issued in the future (iat)');
      if (exp - iat > MAX_TOKEN_LIFETIME_SECONDS[typ as TokenType]) throw invalid(`token lives longer than a ${typ} token may`);
      if (typeof jti !== 'string' || jti.length === 0 || jti.length > 64) throw invalid('token has no usable jti');
      if (typ !== accept) {
        throw new ForbiddenError(`this route accepts ${accept} tokens, not ${typ}`, { code: 'token_wrong_type' });
      }
      if (typeof payload.tenant !== 'string' || typeof payload.sub !== 'string') {
        throw invalid('token lacks tenant or subject');
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
