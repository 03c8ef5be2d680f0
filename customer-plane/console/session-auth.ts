import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { ForbiddenError } from '../../shared/errors.ts';
import type { Authenticator } from './api/auth.ts';
import type { ConsoleCookies } from './cookies.ts';
import { type ConsoleSession, csrfMatches, type SessionStore } from './sessions.ts';

/**
 * The console's authenticator for the local API's `requireLocalAuth` hook: the session cookie, never
 * a bearer token (the browser holds none). A request's session is kept for the CSRF check and the
 * page's logout form.
 */
const sessions = new WeakMap<FastifyRequest, { token: string; session: ConsoleSession }>();

export function sessionAuthenticator(store: SessionStore, cookies: ConsoleCookies): Authenticator {
  return (req) => {
    const token = cookies.read(req, cookies.session);
    const session = store.get(token);
    if (!session || !token) return undefined;
    sessions.set(req, { token, session });
    return session.principal;
  };
}

/** The request's live session, if it came with one (set by the authenticator). */
export function sessionOf(req: FastifyRequest): ConsoleSession | undefined {
  return sessions.get(req)?.session;
}

export function sessionTokenOf(req: FastifyRequest): string | undefined {
  return sessions.get(req)?.token;
}

/** A form field as submitted (the form parser gives string values only). */
const field = (req: FastifyRequest, name: string): unknown =>
  req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>)[name] : undefined;

/**
 * Every state change: the form's `_csrf` must be the session's token (synchronizer pattern). Runs
 * after requireLocalAuth, so a request without a live session was already refused (401).
 */
export const requireCsrf: preHandlerAsyncHookHandler = async function requireCsrf(req) {
  const session = sessionOf(req);
  if (!session || !csrfMatches(session, field(req, '_csrf')))
    throw new ForbiddenError('the form’s CSRF token is missing or not this session’s; nothing was changed. Reload the page and try again', {
      code: 'csrf_invalid',
    });
};

/**
 * The login form's CSRF protection, before there is a session: a random nonce in an HttpOnly,
 * SameSite=Strict cookie, and in the form an HMAC of it under a key only this process has. A cookie
 * planted by another page on the same host cannot come with a matching form field.
 */
export function createLoginCsrf() {
  const key = randomBytes(32);
  const mac = (nonce: string) => createHmac('sha256', key).update(nonce).digest('base64url');
  return {
    issue(): { nonce: string; token: string } {
      const nonce = randomBytes(24).toString('base64url');
      return { nonce, token: mac(nonce) };
    },
    matches(nonce: string | undefined, token: unknown): boolean {
      if (!nonce || typeof token !== 'string') return false;
      const expected = Buffer.from(mac(nonce));
      const given = Buffer.from(token);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
