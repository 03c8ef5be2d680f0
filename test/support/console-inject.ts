import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildConsole, type ConsoleDeps } from '../../customer-plane/console/app.ts';
import type { Db } from '../../shared/db/pool.ts';
import { createLogger } from '../../shared/log.ts';

/**
 * The console as app.ts builds it (form parser, error pages, protections, login, pages, approvals),
 * driven through fastify's inject: no socket, no Postgres. The database is a fake that records every
 * query and answers with no rows, so a test can tell "refused before the store was touched" (no
 * query) from "reached the store" (a query, and then an unknown approval's 404). Log lines are kept.
 */
export const TEST_SECRET = 'test-local-admin-secret-0123456789-abcdefghij';
export const CONSOLE_HOST = 'localhost:7480';

export type Query = { sql: string; params: unknown[] };

export async function injectConsole(o: Partial<ConsoleDeps> = {}) {
  const queries: Query[] = [];
  const db = {
    query: async (sql: string, params: unknown[] = []) => {
      queries.push({ sql, params });
      return { rows: [], rowCount: 0 };
    },
  } as unknown as Db;
  const logLines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const { app, sessions } = await buildConsole({
    db,
    environments: { source: 'test', names: () => [], getEnvironment: () => undefined },
    memory: { autonomyLevels: async () => [] } as unknown as ConsoleDeps['memory'],
    auditLogPath: '/nonexistent/agentplane-console-test/audit.log',
    adminSecret: async () => TEST_SECRET,
    log: createLogger({ service: 'console-test', destination: sink as never }),
    ...o,
    hosts: new Set(['localhost', '127.0.0.1']),
  });
  await app.ready();
  return { app, sessions, queries, logLines, browser: (remoteAddress?: string) => injectBrowser(app, remoteAddress) };
}

export type InjectResponse = {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  text: string;
  location: string | undefined;
  setCookies: string[];
};

/**
 * A browser-like client over inject: keeps cookies as a browser sends them (a Max-Age=0 cookie is
 * dropped), follows no redirect, reads the CSRF token off the last page with a form, and sends the
 * console's own Host header unless a test names another, from `remoteAddress` (the failed-login limit's key).
 */
export function injectBrowser(app: FastifyInstance, remoteAddress = '127.0.0.1') {
  const jar = new Map<string, string>();
  let lastCsrf: string | undefined;
  async function request(
    method: 'GET' | 'HEAD' | 'POST',
    url: string,
    o: { form?: Record<string, string> | string | Buffer; headers?: Record<string, string> } = {},
  ): Promise<InjectResponse> {
    const headers: Record<string, string> = { host: CONSOLE_HOST, ...(jar.size ? { cookie: cookieHeader() } : {}) };
    let payload: string | Buffer | undefined;
    if (o.form !== undefined) {
      payload = typeof o.form === 'string' || Buffer.isBuffer(o.form) ? o.form : new URLSearchParams(o.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await app.inject({
      method,
      url,
      remoteAddress,
      headers: { ...headers, ...o.headers },
      ...(payload === undefined ? {} : { payload }),
    });
    const raw = res.headers['set-cookie'];
    const setCookies = raw === undefined ? [] : Array.isArray(raw) ? raw : [String(raw)];
    for (const c of setCookies) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      if (attrs.some((a) => /^\s*max-age=0$/i.test(a))) jar.delete(pair.slice(0, eq));
      else jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const csrf = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1];
    if (csrf) lastCsrf = csrf;
    const location = res.headers.location;
    return {
      status: res.statusCode,
      headers: res.headers,
      text: res.body,
      location: location === undefined ? undefined : String(location),
      setCookies,
    };
  }
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  return {
    jar,
    request,
    cookieHeader,
    get: (url: string, headers?: Record<string, string>) => request('GET', url, { headers }),
    post: (url: string, form: Record<string, string> | string | Buffer, headers?: Record<string, string>) =>
      request('POST', url, { form, headers }),
    /** The CSRF token of the last page that had a form. */
    csrf: () => lastCsrf!,
    /** Opens the login form and posts `secret`; when logged in, reads a page for the session's CSRF token. */
    async login(secret: string, headers?: Record<string, string>) {
      await request('GET', '/login', { headers });
      const r = await request('POST', '/login', { form: { _csrf: lastCsrf!, secret }, headers });
      if (r.status === 303) await request('GET', '/approvals', { headers });
      return r;
    },
  };
}
