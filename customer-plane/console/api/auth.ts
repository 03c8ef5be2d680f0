import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../../../shared/errors.ts';

/**
 * Who may use the customer plane's local API. Not the vendor's tokens: the local admin secret from the
 * customer plane's own secret store (`local-admin-secret`). An authenticator turns a request into a
 * principal with rights; each route names the one right it needs. The console (issue 14) plugs its
 * session cookie in as another authenticator (customer-plane/console/session-auth.ts); the admin secret
 * holds every right. `runs:read` and `audit:read` are the console's pages of runs and of what left.
 */
export const LOCAL_RIGHTS = ['approvals:read', 'approvals:decide', 'environments:read', 'runs:read', 'audit:read'] as const;
export type LocalRight = (typeof LOCAL_RIGHTS)[number];
export type LocalPrincipal = { name: string; rights: ReadonlySet<LocalRight> };
export type Authenticator = (req: FastifyRequest) => LocalPrincipal | undefined | Promise<LocalPrincipal | undefined>;

const digest = (s: string) => createHash('sha256').update(s).digest();

/** `Authorization: Bearer <local admin secret>`, compared in constant time; the principal is `local-admin`, with every right. */
export function adminSecretAuthenticator(secret: string): Authenticator {
  if (secret.length < 32) throw new RangeError('the local admin secret must be at least 32 characters');
  const expected = digest(secret);
  const admin: LocalPrincipal = { name: 'local-admin', rights: new Set(LOCAL_RIGHTS) };
  return (req) => {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    return match && timingSafeEqual(digest(match[1]), expected) ? admin : undefined;
  };
}

const principals = new WeakMap<FastifyRequest, LocalPrincipal>();

/**
 * The only place the local API reads credentials: a route's onRequest hook (before its body is read).
 * No credential, or one that is not valid: 401 `unauthorized`; valid but without the route's right:
 * 403 `forbidden`. Either way nothing the route would do happens.
 */
export function requireLocalAuth(authenticate: Authenticator, right: LocalRight): onRequestAsyncHookHandler {
  return async function requireLocalAuthHook(req: FastifyRequest, reply: FastifyReply) {
    const principal = await authenticate(req);
    if (!req.raw.complete && !principal?.rights.has(right)) reply.header('connection', 'close');
    if (!principal) throw new UnauthorizedError('the local API needs the local admin secret (Authorization: Bearer …)');
    if (!principal.rights.has(right)) throw new ForbiddenError(`this session may not ${right.replace(':', ' ')}`);
    principals.set(req, principal);
  };
}

/** The principal of an authenticated request; a route without requireLocalAuth calling this is a programming error. */
export function principalOf(req: FastifyRequest): LocalPrincipal {
  const p = principals.get(req);
  if (!p) throw new Error('route reads its principal but has no requireLocalAuth hook');
  return p;
}
