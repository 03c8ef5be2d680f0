import type { TokenClaims, TokenType, TokenVerifier } from '../../shared/tokens.ts';

/**
 * Remembers successful token verifications for a short while. An agent sends the same token on
 * every LLM call, and an Ed25519 verification per call was a measurable share of the proxy's CPU
 * in the bench. Only successes are cached, keyed by the exact token and accepted type; an entry
 * lives until the token expires or `ttlMs` passes (so a removed signing key stops working within
 * ttlMs here too), whichever comes first.
 * Calls that miss while the same token is already being verified wait for that verification
 * instead of starting their own: an agent with N calls in flight when its entry expires would
 * otherwise verify N times (in the cost bench, where valgrind stretches a minute over a few hundred
 * requests, that herd was 2-4% of the proxy's instructions). They share its outcome, failure
 * included; a failure is not remembered, so the next call verifies again.
 */
export function cachingVerifier(inner: TokenVerifier, opts: { ttlMs?: number; max?: number; clock?: () => number } = {}): TokenVerifier {
  const ttlMs = opts.ttlMs ?? 60_000;
  const max = opts.max ?? 10_000;
  const clock = opts.clock ?? Date.now;
  const cache = new Map<string, { claims: TokenClaims; until: number }>();
  const inflight = new Map<string, Promise<TokenClaims>>();
  return {
    verify(token: string, accept: TokenType): Promise<TokenClaims> {
      const key = `${accept} ${token}`;
      const now = clock();
      const hit = cache.get(key);
      if (hit && hit.until > now) return Promise.resolve(hit.claims);
      if (hit) cache.delete(key);
      const pending = inflight.get(key);
      if (pending) return pending;
      const verified = inner.verify(token, accept).then(
        (claims) => {
          inflight.delete(key);
          if (cache.size >= max) cache.delete(cache.keys().next().value as string);
          cache.set(key, { claims, until: Math.min(claims.exp * 1000, now + ttlMs) });
          return claims;
        },
        (err: unknown) => {
          inflight.delete(key);
          throw err;
        },
      );
      inflight.set(key, verified);
      return verified;
    },
  };
}
