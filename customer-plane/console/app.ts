import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Db } from '../../shared/db/pool.ts';
import type { Logger } from '../../shared/log.ts';
import { createApprovalStore } from '../approvals/store.ts';
import type { Environments } from '../environments/environments.ts';
import type { Memory } from '../memory/memory.ts';
import { createRunRecords } from '../runner/ledger/records.ts';
import { consoleBindScope } from './bind-address.ts';
import { consoleCookies } from './cookies.ts';
import { installConsoleErrorHandler } from './errors.ts';
import { FORM_BODY_LIMIT, installFormParser } from './forms.ts';
import { installProtections } from './protections.ts';
import { approvalPages } from './routes/approvals.ts';
import { loginRoutes } from './routes/login.ts';
import { readPages } from './routes/pages.ts';
import { sessionAuthenticator } from './session-auth.ts';
import { createSessionStore, type SessionStore } from './sessions.ts';

const STYLESHEET = readFileSync(new URL('./static/console.css', import.meta.url));

export type ConsoleDeps = {
  db: Db;
  environments: Environments;
  memory: Pick<Memory, 'autonomyLevels'>;
  /** The egress audit chain's file (auditLogPath(stateDir)). */
  auditLogPath: string;
  /** Reads the local admin secret from the secret store, at each login. */
  adminSecret: () => Promise<string | undefined>;
  log: Logger;
  clock?: () => number;
  session?: { idleMs?: number; maxAgeMs?: number };
  /** PEM certificate and key: the console is served over HTTPS, its cookies Secure and `__Host-`. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Host names people use besides the address (the name on the certificate). */
  hostnames?: readonly string[];
};

export type ConsoleServer = { app: FastifyInstance; url: string; sessions: SessionStore; close(): Promise<void> };

/**
 * The customer's local web console: server-rendered HTML pages and forms (no script), served by the
 * customer plane on loopback or a private-network address (over TLS), never reachable through the
 * vendor. It reads and decides through the same modules the CLI and the local API use.
 */
export async function startConsole(deps: ConsoleDeps & { host: string; port: number }): Promise<ConsoleServer> {
  const scope = consoleBindScope(deps.host);
  if (!scope.ok) throw new RangeError(`the console listens on ${scope.problem}`);
  if (scope.scope === 'private' && !deps.tls) throw new RangeError('a console on a private-network address is served over TLS only');
  const hosts = new Set([deps.host.toLowerCase(), ...(deps.hostnames ?? [])]);
  if (scope.scope === 'loopback') for (const h of ['localhost', '127.0.0.1', '::1']) hosts.add(h);
  const built = await buildConsole({ ...deps, hosts });
  const url = await built.app.listen({ host: deps.host, port: deps.port });
  return { ...built, url, close: () => built.app.close() };
}

export async function buildConsole(
  deps: ConsoleDeps & { hosts: ReadonlySet<string> },
): Promise<{ app: FastifyInstance; sessions: SessionStore }> {
  const clock = deps.clock ?? Date.now;
  const sessions = createSessionStore({
    idleMs: deps.session?.idleMs ?? 30 * 60_000,
    maxAgeMs: deps.session?.maxAgeMs ?? 8 * 3600_000,
    clock,
  });
  const cookies = consoleCookies({ secure: deps.tls !== undefined });
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'console' }),
    bodyLimit: FORM_BODY_LIMIT,
    requestTimeout: 30_000,
    ...(deps.tls ? { https: { cert: deps.tls.cert, key: deps.tls.key } } : {}),
  }) as unknown as FastifyInstance;
  installFormParser(app);
  installConsoleErrorHandler(app);
  installProtections(app, { tls: deps.tls !== undefined, hosts: deps.hosts });
  const authenticate = sessionAuthenticator(sessions, cookies);
  const approvals = createApprovalStore(deps.db);
  app.get('/static/console.css', async (_req, reply) => reply.type('text/css; charset=utf-8').send(STYLESHEET));
  await app.register(loginRoutes({ store: sessions, cookies, adminSecret: deps.adminSecret }));
  await app.register(
    readPages({
      authenticate,
      records: createRunRecords(deps.db),
      approvals,
      environments: deps.environments,
      memory: deps.memory,
      auditLogPath: deps.auditLogPath,
      clock,
    }),
  );
  await app.register(approvalPages({ authenticate, store: approvals, clock }));
  return { app, sessions };
}
