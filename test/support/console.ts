import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolResult } from '../../agents/tools.ts';
import { agentOutputSchema, type DeterministicAgent, type WorkflowTemplate } from '../../agents/types.ts';
import { type ConsoleDeps, type ConsoleServer, startConsole } from '../../customer-plane/console/app.ts';
import { auditLogPath, openAuditLog } from '../../customer-plane/egress/audit-log.ts';
import { parseEnvironments } from '../../customer-plane/environments/environments.ts';
import { templateHash } from '../../customer-plane/environments/template-hash.ts';
import { silentLogger } from '../../shared/log.ts';
import { generateTenantKey, importTenantKey, signBatch } from '../../shared/signing.ts';
import { newUlid } from '../../shared/ids.ts';
import type { RuntimeRig } from './runtime-rig.ts';
import { startRuntimeRig } from './runtime-rig.ts';
import { createTestOnlyGuard, createTestOnlyRunner } from './test-commands.ts';

/**
 * The local console against a real runtime: the runtime rig's Postgres (ledger, approvals, memory),
 * deterministic agents that plant XSS probes where repository content goes (file names, file
 * content, findings, step summaries, diffs), an audit chain of real signed batches, and the console
 * itself listening on loopback with a random admin secret. Everything is removed when the test ends.
 */

/** Repository content built to execute if any of it reached a page as markup. */
export const PROBE = {
  fileName: `<img src=x onerror="document.title='pwned-file-name'">.md`,
  fileText: `<script>document.title='pwned-file-content'</script>\n`,
  finding: `<script>document.title='pwned-finding'</script> and <b onmouseover="document.title='pwned-b'">bold</b>`,
  writtenName: `notes/<svg onload="document.title='pwned-written'">.txt`,
  deployText: `<script>document.title='pwned-approval-diff'</script>\n`,
};

/** Reads the probe file, reports it as a finding, writes a file whose name and content are probes. */
export const probeReviewer: DeterministicAgent = {
  name: 'reviewer',
  kind: 'deterministic',
  tier: null,
  purpose: 'test: reports repository content as findings and writes probe files',
  tools: ['read_file', 'write_file'],
  programs: [],
  budget: { maxSteps: 10, maxTokens: 0 },
  output: agentOutputSchema,
  async run(ctx) {
    const read = await ctx.tools.call('read_file', { path: PROBE.fileName });
    await ctx.tools.call('write_file', { path: PROBE.writtenName, content: PROBE.fileText });
    return {
      summary: `reviewed ${PROBE.fileName}: ${read.ok ? 'read' : 'unreadable'} ${PROBE.finding}`,
      findings: [
        { rule: 'xss/probe', severity: 'high', file: PROBE.fileName, line: 1, message: PROBE.finding },
        { rule: 'xss/content', severity: 'low', file: PROBE.fileName, line: 1, message: read.ok ? read.output.slice(0, 1500) : 'unread' },
      ],
      patches: [],
    };
  },
};

const swallow = (p: Promise<ToolResult>): Promise<ToolResult | { ok: false; reason: string }> =>
  p.catch((err: { code?: string }) => ({ ok: false, reason: `threw ${err.code}` }));

/** In production every write and command asks: writes deploy.txt (a probe), then runs `ls`. */
export const deployer: DeterministicAgent = {
  name: 'patch-applier',
  kind: 'deterministic',
  tier: null,
  purpose: 'test: writes a file and runs one command',
  tools: ['write_file', 'run_command', 'read_file'],
  programs: ['ls'],
  budget: { maxSteps: 10, maxTokens: 0 },
  output: agentOutputSchema,
  async run(ctx) {
    const wrote = await swallow(ctx.tools.call('write_file', { path: 'deploy.txt', content: PROBE.deployText }));
    const ran = await swallow(ctx.tools.call('run_command', { command: 'ls' }));
    return { summary: `write ${wrote.ok ? 'ok' : wrote.reason}; command ${ran.ok ? 'ok' : ran.reason}`, findings: [], patches: [] };
  },
};

export const reviewTemplate: WorkflowTemplate = {
  name: 'code-review',
  description: 'one probing review step',
  steps: [{ id: 'review', agent: 'reviewer', needs: [] }],
};
export const deployTemplate: WorkflowTemplate = {
  name: 'refactor',
  description: 'one deploying step',
  steps: [{ id: 'deploy', agent: 'patch-applier', needs: [] }],
};

export function consoleEnvironments(deadlineSeconds = 600) {
  const approval = { deadlineSeconds, warnBeforeSeconds: Math.min(60, deadlineSeconds - 1) };
  return parseEnvironments(
    JSON.stringify({
      environments: {
        sandbox: { secrets: { prefix: 'sandbox/' }, templates: ['code-review', 'refactor'], approval, writes: 'allow' },
        production: {
          secrets: { prefix: 'production/' },
          templates: ['refactor'],
          approval,
          writes: 'ask',
          reviewed: { refactor: templateHash(deployTemplate, { 'patch-applier': deployer }) },
        },
      },
    }),
    'console-test',
  );
}

/** The runtime with the probing agents, stored approvals and memory. */
export async function consoleRuntime(
  t: { after(fn: () => Promise<void> | void): void },
  o: { deadlineSeconds?: number } = {},
): Promise<RuntimeRig> {
  return startRuntimeRig(t, {
    repoFiles: { [PROBE.fileName]: PROBE.fileText, 'deploy.txt': 'v1\n' },
    catalog: { reviewer: probeReviewer, 'patch-applier': deployer },
    templates: { 'code-review': reviewTemplate, refactor: deployTemplate },
    environments: consoleEnvironments(o.deadlineSeconds),
    guard: createTestOnlyGuard([{ argv: ['ls'] }]),
    runner: createTestOnlyRunner(),
    storedApprovals: { pollMs: 1000 },
    memory: true,
  });
}

/** An audit chain of real signed batches: two on `days[0]`, one on `days[1]`. Returns the state dir. */
export async function auditChain(t: { after(fn: () => Promise<void> | void): void }, days: [number, number]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ap-console-audit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = await importTenantKey((await generateTenantKey()).privateJwk);
  const tenant = '00000000-0000-4000-8000-0000000000aa';
  let now = days[0];
  const log = openAuditLog(auditLogPath(dir), { clock: () => now });
  const batch = async (seq: number, n: number) =>
    new TextEncoder().encode(
      await signBatch(
        {
          tenant,
          seq,
          iat: Math.floor(now / 1000),
          kind: 'otel',
          events: Array.from({ length: n }, () => ({
            eventId: newUlid(),
            metric: 'runner.memory.rss_bytes',
            kind: 'gauge',
            at: now,
            value: 1,
          })),
        },
        key,
      ),
    );
  log.record({ kind: 'otel', data: await batch(1, 2), hubSeq: 1 });
  log.record({ kind: 'otel', data: await batch(2, 3), hubSeq: 2 });
  now = days[1];
  log.record({ kind: 'otel', data: await batch(3, 1), hubSeq: 3 });
  log.close();
  return dir;
}

export type TestConsole = ConsoleServer & { secret: string };

/** The console on 127.0.0.1 (a free port) over the rig's database, closed when the test ends. */
export async function startTestConsole(
  t: { after(fn: () => Promise<void> | void): void },
  rig: Pick<RuntimeRig, 'pool' | 'deps' | 'memory'>,
  o: Partial<ConsoleDeps> & { stateDir?: string } = {},
): Promise<TestConsole> {
  const secret = randomBytes(32).toString('base64url');
  const server = await startConsole({
    host: '127.0.0.1',
    port: 0,
    db: rig.pool,
    environments: rig.deps.environments,
    memory: rig.memory!,
    auditLogPath: auditLogPath(o.stateDir ?? join(tmpdir(), `ap-no-audit-${newUlid()}`)),
    adminSecret: async () => secret,
    log: silentLogger(),
    ...o,
  });
  t.after(() => server.close());
  return { ...server, secret };
}

/**
 * A browser-like HTTP client for the console: keeps cookies (name=value, as a browser sends them),
 * does not follow redirects (tests read them), and reads the CSRF token off the last page.
 */
export function consoleClient(base: string, o: { fetch?: typeof fetch } = {}) {
  const send = o.fetch ?? fetch;
  const jar = new Map<string, string>();
  let lastCsrf: string | undefined;
  const store = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (attrs.some((a) => /^\s*max-age=0$/i.test(a))) jar.delete(name);
      else jar.set(name, value);
    }
  };
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  async function request(
    method: string,
    path: string,
    o: { form?: Record<string, string> | string | Uint8Array; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...(jar.size ? { cookie: cookieHeader() } : {}), ...o.headers };
    let body: string | Uint8Array<ArrayBuffer> | undefined;
    if (o.form !== undefined) {
      body =
        typeof o.form === 'string'
          ? o.form
          : o.form instanceof Uint8Array
            ? new Uint8Array(o.form)
            : new URLSearchParams(o.form).toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    const res = await send(`${base}${path}`, { method, headers, body, redirect: 'manual' });
    store(res);
    const text = await res.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
    if (csrf) lastCsrf = csrf;
    return { status: res.status, headers: res.headers, text, location: res.headers.get('location') };
  }
  return {
    jar,
    request,
    get: (path: string, headers?: Record<string, string>) => request('GET', path, { headers }),
    post: (path: string, form: Record<string, string> | string | Uint8Array, headers?: Record<string, string>) =>
      request('POST', path, { form, headers }),
    /** The CSRF token of the last page that had a form. */
    csrf: () => lastCsrf!,
    /** Opens the login page and logs in with `secret`; returns the login POST's response (then, logged in, reads a page for the session's CSRF token). */
    async login(secret: string) {
      await request('GET', '/login');
      const r = await request('POST', '/login', { form: { _csrf: lastCsrf!, secret } });
      if (r.status === 303) await request('GET', '/runs');
      return r;
    },
  };
}
