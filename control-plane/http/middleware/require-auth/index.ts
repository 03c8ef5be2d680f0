import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../../../../shared/errors.ts';
import { UUID_RE } from '../../../../shared/ids.ts';
import type { TokenClaims, TokenType, TokenVerifier } from '../../../../shared/tokens.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by requireAuth; handlers read identity from here and never from headers. */
    auth?: TokenClaims;
  }
}

export type RequireAuthOptions = {
  /** Where the route names a tenant (path param), the token's tenant must be that tenant. */
  tenantFrom?: (req: FastifyRequest) => string | undefined;
};

/**
 * The only place that reads the Authorization header. Each route declares the one token type it
 * accepts: a valid token of another type is 403, a missing or bad token is 401. Routes run it as
 * their onRequest hook, before the body is read: a caller without a valid token cannot make the
 * server receive (or wait for) a body, and its connection is closed with the refusal.
 */
export function requireAuth(verifier: TokenVerifier, typ: TokenType, opts: RequireAuthOptions = {}): onRequestAsyncHookHandler {
  return async function requireAuthHook(req, reply) {
    try {
      const header = req.headers.authorization;
      if (!header) throw new UnauthorizedError('missing bearer token', { code: 'token_missing' });
      const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(header);
      if (!match) throw new UnauthorizedError('authorization header is not a bearer token', { code: 'token_invalid' });
      const claims = await verifier.verify(match[1], typ);
      const wanted = opts.tenantFrom?.(req);
      if (wanted !== undefined && claims.tenant !== wanted && claims.tenant !== '*') {
        throw new ForbiddenError('token belongs to another tenant', { code: 'token_wrong_tenant' });
      }
      req.auth = claims;
    } catch (err) {
      closeIfBodyPending(req, reply);
      throw err;
    }
  };
}

/** A refused request whose body is still arriving is answered and its connection closed, not drained. */
function closeIfBodyPending(req: FastifyRequest, reply: FastifyReply): void {
  if (!req.raw.complete) reply.header('connection', 'close');
}

/** Claims of an authenticated request; a route without requireAuth calling this is a programming error. */
export function authOf(req: FastifyRequest): TokenClaims {
  if (!req.auth) throw new Error('route reads auth but has no requireAuth hook');
  return req.auth;
}

/**
 * The one tenant an authenticated request acts for. Per-tenant data (usage rows) is keyed by the
 * tenant's UUID; the operator wildcard has none of its own, so it is refused here.
 */
export function tenantScopeOf(req: FastifyRequest): string {
  const { tenant } = authOf(req);
  if (!UUID_RE.test(tenant)) throw new ForbiddenError('token is not scoped to one tenant', { code: 'token_wrong_tenant' });
  return tenant;
}
