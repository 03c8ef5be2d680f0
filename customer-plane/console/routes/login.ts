import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import { AppError, ForbiddenError, UnavailableError } from '../../../shared/errors.ts';
import { LOCAL_RIGHTS, type LocalPrincipal } from '../api/auth.ts';
import { parseLocalInput } from '../api/validate.ts';
import type { ConsoleCookies } from '../cookies.ts';
import { createLoginCsrf, sessionAuthenticator, sessionOf, sessionTokenOf } from '../session-auth.ts';
import { csrfMatches, type SessionStore } from '../sessions.ts';
import { loginPage } from '../views/login.ts';

/** Who a console session is: the holder of the local admin secret, with every right the local API knows. */
export const CONSOLE_ADMIN: LocalPrincipal = { name: 'console:local-admin', rights: new Set(LOCAL_RIGHTS) };

// The CSRF token is checked first (a missing one is 403 like a wrong one), then the form's shape.
const loginForm = z.strictObject({ _csrf: z.string().max(200).optional(), secret: z.string().min(1).max(1024) });
const logoutForm = z.strictObject({ _csrf: z.string().max(200) }).partial();

/** Failed logins allowed per client address in a window: the secret is 256 random bits, but guessing is still stopped early. */
const FAILED_LOGINS = { points: 10, duration: 300 };

const digest = (s: string) => createHash('sha256').update(s).digest();

export class TooManyLogins extends AppError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('too_many_logins', 429, `too many failed logins from this address; try again in ${retryAfterSeconds} s`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Login and logout. The admin secret is read from the secret store at each login (never held by the
 * console), compared in constant time; success starts a new session (a fresh token, whatever cookie
 * came with the request) and sends the browser to the console. Logout ends the session server-side
 * and clears the cookie.
 */
export function loginRoutes(deps: { store: SessionStore; cookies: ConsoleCookies; adminSecret: () => Promise<string | undefined> }) {
  const { store, cookies } = deps;
  const csrf = createLoginCsrf();
  const failures = new RateLimiterMemory(FAILED_LOGINS);
  const authenticate = sessionAuthenticator(store, cookies);

  const showForm = (reply: FastifyReply, status: number, refused?: string) => {
    const { nonce, token } = csrf.issue();
    cookies.set(reply, cookies.login, nonce, 600);
    return reply
      .status(status)
      .type('text/html; charset=utf-8')
      .send(loginPage({ csrfToken: token, refused }).toString());
  };

  return async (app: FastifyInstance) => {
    app.get('/login', async (req, reply) => {
      if (await authenticate(req)) return reply.redirect('/', 303);
      return showForm(reply, 200);
    });

    app.post('/login', async (req, reply) => {
      const submitted = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>)._csrf : undefined;
      if (!csrf.matches(cookies.read(req, cookies.login), submitted))
        throw new ForbiddenError(
          'the login form expired or did not come from this console; nothing was changed. Open the login page again',
          {
            code: 'csrf_invalid',
          },
        );
      const form = parseLocalInput(loginForm, req.body, 'body');
      const state = await failures.get(req.ip);
      if (state && state.remainingPoints <= 0) throw new TooManyLogins(Math.ceil(state.msBeforeNext / 1000));
      let secret: string | undefined;
      try {
        secret = await deps.adminSecret();
      } catch (err) {
        throw new UnavailableError('secret-store', 'the secret store cannot be read; try again shortly', { cause: err });
      }
      if (!secret || !timingSafeEqual(digest(form.secret), digest(secret))) {
        await failures.consume(req.ip).catch((res: unknown) => {
          if (!(res instanceof RateLimiterRes)) throw res;
        });
        req.log.warn({ ip: req.ip }, 'console login refused: not the local admin secret');
        return showForm(reply, 401, 'That is not the local admin secret.');
      }
      await failures.delete(req.ip);
      store.destroy(cookies.read(req, cookies.session));
      const { token } = store.create(CONSOLE_ADMIN);
      cookies.set(reply, cookies.session, token);
      cookies.clear(reply, cookies.login);
      req.log.info({ ip: req.ip }, 'console login');
      return reply.redirect('/', 303);
    });

    // Logging out needs the session's CSRF token (another site cannot log you out); an expired
    // session has nothing left to end, so it just goes to the login page.
    app.post('/logout', async (req, reply) => {
      const form = parseLocalInput(logoutForm, req.body, 'body');
      const principal = await authenticate(req);
      if (principal) {
        if (!csrfMatches(sessionOf(req)!, form._csrf))
          throw new ForbiddenError('the form’s CSRF token is missing or not this session’s; you are still logged in', {
            code: 'csrf_invalid',
          });
        store.destroy(sessionTokenOf(req));
        req.log.info('console logout');
      }
      cookies.clear(reply, cookies.session);
      return reply.redirect('/login', 303);
    });
  };
}
