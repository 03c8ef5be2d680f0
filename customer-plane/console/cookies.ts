import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The console's two cookies: the session (after login) and the login form's CSRF nonce (before it).
 * Both HttpOnly (no script can read them — and the console serves none), SameSite=Strict (never sent
 * with a request another site starts), Path=/. Over TLS they are Secure and carry the `__Host-`
 * prefix, which makes the browser refuse any version of them set by another host or without Secure.
 * The session cookie has no Max-Age: it ends with the browser, and the server ends it sooner.
 */
export type ConsoleCookies = {
  session: string;
  login: string;
  read(req: FastifyRequest, name: string): string | undefined;
  set(reply: FastifyReply, name: string, value: string, maxAgeSeconds?: number): void;
  clear(reply: FastifyReply, name: string): void;
};

export function consoleCookies(opts: { secure: boolean }): ConsoleCookies {
  const prefix = opts.secure ? '__Host-' : '';
  const base = { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: opts.secure };
  // Fastify appends a second set-cookie header rather than replacing the first.
  const append = (reply: FastifyReply, header: string) => reply.header('set-cookie', header);
  return {
    session: `${prefix}ap_console_session`,
    login: `${prefix}ap_console_login`,
    read(req, name) {
      const header = req.headers.cookie;
      return header ? parseCookie(header)[name] : undefined;
    },
    set(reply, name, value, maxAgeSeconds) {
      append(reply, stringifySetCookie({ name, value, ...base, ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }) }));
    },
    clear(reply, name) {
      append(reply, stringifySetCookie({ name, value: '', ...base, maxAge: 0 }));
    },
  };
}
