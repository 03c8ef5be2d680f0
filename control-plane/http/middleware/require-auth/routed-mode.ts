import { ForbiddenError } from '../../../../shared/errors.ts';
import type { TokenVerifier } from '../../../../shared/tokens.ts';

/**
 * The verifier the routed LLM proxy uses: an agent token is accepted only for a tenant whose LLM mode
 * is `routed`. A `direct` tenant's agents call providers with the customer's own keys; a token of
 * theirs at the proxy would spend the vendor's keys on prompts the tenant chose to keep in its own
 * account. The proxy caches successful verifications for up to a minute, so a tenant switched to
 * `direct` is refused within that minute.
 */
export function routedTenantsOnly(
  inner: TokenVerifier,
  modeOf: (tenant: string) => Promise<'direct' | 'routed' | undefined>,
): TokenVerifier {
  return {
    async verify(token, accept) {
      const claims = await inner.verify(token, accept);
      if (accept === 'agent' && (await modeOf(claims.tenant)) !== 'routed') {
        throw new ForbiddenError('this tenant uses direct LLM mode: its agents call their providers with their own keys, not this proxy', {
          code: 'llm_mode_direct',
        });
      }
      return claims;
    },
  };
}
