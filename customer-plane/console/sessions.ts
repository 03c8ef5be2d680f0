import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { LocalPrincipal } from './api/auth.ts';

/**
 * Console sessions, in this process's memory only: a restart logs everyone out. The browser holds
 * an opaque random token (in an HttpOnly cookie); the store keys sessions by the token's sha256, so
 * what is kept here is not itself a usable cookie. A session ends after `idleMs` without a request,
 * after `maxAgeMs` whatever happens, or at logout. Each session has its own CSRF token
 * (synchronizer pattern): every form carries it, and a state change without it is refused.
 */
export type ConsoleSession = {
  principal: LocalPrincipal;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
};

export type SessionStore = ReturnType<typeof createSessionStore>;

const keyOf = (token: string) => createHash('sha256').update(token).digest('hex');
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

export function createSessionStore(opts: { idleMs: number; maxAgeMs: number; clock?: () => number; maxSessions?: number }) {
  const clock = opts.clock ?? Date.now;
  const maxSessions = opts.maxSessions ?? 64;
  const sessions = new Map<string, ConsoleSession>();

  const expired = (s: ConsoleSession, now: number) => now - s.lastSeenAt >= opts.idleMs || now - s.createdAt >= opts.maxAgeMs;

  function prune(now: number): void {
    for (const [k, s] of sessions) if (expired(s, now)) sessions.delete(k);
  }

  return {
    /** A new session (never a reused token: logging in always gets a fresh one, so a planted cookie is worthless). */
    create(principal: LocalPrincipal): { token: string; session: ConsoleSession } {
      const now = clock();
      prune(now);
      // Too many live sessions: the one idle longest goes (a Map iterates in insertion order; get() re-inserts).
      while (sessions.size >= maxSessions) sessions.delete(sessions.keys().next().value as string);
      const token = randomBytes(32).toString('base64url');
      const session: ConsoleSession = { principal, csrfToken: randomBytes(32).toString('base64url'), createdAt: now, lastSeenAt: now };
      sessions.set(keyOf(token), session);
      return { token, session };
    },

    /** The live session for a cookie's token (its idle time restarts), or undefined — an expired one is removed. */
    get(token: string | undefined): ConsoleSession | undefined {
      if (!token || !TOKEN_RE.test(token)) return undefined;
      const key = keyOf(token);
      const s = sessions.get(key);
      if (!s) return undefined;
      const now = clock();
      sessions.delete(key);
      if (expired(s, now)) return undefined;
      s.lastSeenAt = now;
      sessions.set(key, s);
      return s;
    },

    destroy(token: string | undefined): void {
      if (token && TOKEN_RE.test(token)) sessions.delete(keyOf(token));
    },

    get size(): number {
      return sessions.size;
    },
  };
}

/** Whether a submitted CSRF token is the session's, compared in constant time. */
export function csrfMatches(session: ConsoleSession, submitted: unknown): boolean {
  if (typeof submitted !== 'string') return false;
  const given = Buffer.from(submitted);
  const expected = Buffer.from(session.csrfToken);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
