import { chmodSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSigningJwk, createTokenIssuer } from '../../shared/tokens.ts';
import { startFakeAnthropic, startFakeOpenAI, type FakeProvider, type FakeProviderOptions } from '../fakes/index.ts';
import { createTestDatabase } from './scratch-database.ts';
import { embeddedPostgresUrl } from '../../shared/db/embedded-postgres.ts';
import { freePort, startOnPickedPorts } from '../../shared/nats-server-process.ts';
import { CUSTOMER_PLANE_NODE_ARGS, startPlaneProcess, type PlaneProcess } from './plane-process.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A small repository for agents to work on, written fresh for each topology: a test suite and a lint
 * script the runners execute (in the sandbox), and one planted defect — a SQL query built from a
 * string — for the scanners to find.
 */
export function writeSampleRepo(dir: string, extra: Record<string, string> = {}): string {
  mkdirSync(join(dir, 'src'), { recursive: true });
  const files: Record<string, string> = {
    'README.md': '# sample\nA tiny service used by agentplane tests. Run the tests with `npm test`.\n',
    'package.json': `${JSON.stringify({ name: 'sample', version: '1.0.0', type: 'module', license: 'MIT', scripts: { test: 'node --test', lint: 'node --check src/users.js' } }, null, 2)}\n`,
    'src/server.ts': 'export function handler(input: string) {\n  return input.trim().toUpperCase();\n}\n',
    'src/util.ts': 'export const add = (a: number, b: number) => a + b;\n',
    'src/users.js': 'export function findUser(db, id) {\n  return db.query("SELECT * FROM users WHERE id = " + id);\n}\n',
    'test/util.test.js':
      "import assert from 'node:assert/strict';\nimport { test } from 'node:test';\nimport { add } from '../src/util.ts';\n\ntest('add sums two numbers', () => {\n  assert.equal(add(2, 3), 5);\n});\n",
    ...extra,
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

export type Topology = {
  apiUrl: string;
  tenant: string;
  operatorToken: string;
  apiToken: string;
  control: PlaneProcess;
  /** Starts the control plane again (after `control.stop()`), on the same port, state dir and database. */
  startControl(): Promise<void>;
  customer: PlaneProcess;
  stopCustomer(): Promise<void>;
  startCustomer(): Promise<void>;
  openai: FakeProvider;
  anthropic: FakeProvider;
  databaseUrl: string;
  /** The customer plane's own Postgres database (run ledger and run records). */
  customerDatabaseUrl: string;
  customerStateDir: string;
  workDir: string;
  api(path: string, init?: { method?: string; body?: unknown; token?: string }): Promise<{ status: number; body: any }>;
  waitForWorkflow(id: string, opts?: { timeoutMs?: number; onPoll?: (wf: any) => void }): Promise<any>;
  stop(): Promise<void>;
};

/**
 * Everything on loopback, as `npm run demo` runs it: fake providers, the control plane (which starts
 * its embedded hub), a tenant, and the customer plane (which enrolls and starts its leaf). Each
 * topology has its own database, state dirs and ports.
 */
export async function startTopology(
  opts: {
    repoFiles?: Record<string, string>;
    customerEnv?: Record<string, string>;
    /** Options of both FAKE providers (e.g. a delay between stream chunks). */
    fakeOptions?: FakeProviderOptions;
    /** Extra control-plane environment (an external hub's HUB_*, time-outs). */
    controlEnv?: Record<string, string>;
    logLevel?: string;
    echo?: (line: string) => void;
    databaseUrl?: string;
    /** Called with a short line as each part comes up (the demo prints them). */
    progress?: (line: string) => void;
    /**
     * No Postgres on the machine needed: each plane starts its embedded Postgres in its state dir
     * (the demo's default). Otherwise scratch databases on the machine's Postgres (tests).
     */
    embeddedPostgres?: boolean;
    /** Aborting it (a signal while starting) stops what was started so far and rejects. */
    signal?: AbortSignal;
  } = {},
): Promise<Topology> {
  const progress = opts.progress ?? (() => {});
  const workDir = mkdtempSync(join(tmpdir(), 'agentplane-'));
  // The embedded Postgres of a plane run as root runs as the postgres user, which must pass this folder.
  if (opts.embeddedPostgres) chmodSync(workDir, 0o711);
  const cleanups: Array<() => Promise<void> | void> = [() => rmSync(workDir, { recursive: true, force: true })];
  const checkpoint = () => {
    if (opts.signal?.aborted) throw new Error('stopped while starting');
  };
  try {
    const embedded = opts.embeddedPostgres === true;
    const db = opts.databaseUrl || embedded ? undefined : await createTestDatabase('topo');
    if (db) cleanups.push(() => db.drop());
    const databaseUrl = opts.databaseUrl ?? db?.url;
    progress(
      embedded
        ? 'metadata stores: an embedded Postgres in each plane’s state dir (no Postgres server needed)'
        : `metadata store: Postgres database ${db?.name ?? '(given)'}`,
    );
    // The customer plane has a Postgres of its own (in production the RDS in the customer's account).
    const customerDb = embedded ? undefined : await createTestDatabase('cust');
    if (customerDb) cleanups.push(() => customerDb.drop());
    checkpoint();
    const openai = await startFakeOpenAI(opts.fakeOptions);
    const anthropic = await startFakeAnthropic(opts.fakeOptions);
    cleanups.push(
      () => openai.close(),
      () => anthropic.close(),
    );
    progress(`FAKE LLM providers on loopback: OpenAI-compatible ${openai.url}, Anthropic-compatible ${anthropic.url}`);

    const signingKey = await generateSigningJwk();
    const issuer = createTokenIssuer({ keys: [signingKey] });
    const controlEnv: Record<string, string> = {
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      CONTROL_PLANE_TOKEN_KEYS: JSON.stringify([signingKey]),
      STATE_DIR: join(workDir, 'control-plane'),
      LOG_LEVEL: opts.logLevel ?? 'info',
      // The proxy (routed mode) talks to the same FAKE providers as the customer plane.
      OPENAI_BASE_URL: openai.url,
      OPENAI_API_KEY: 'fake-openai-key-for-loopback',
      ANTHROPIC_BASE_URL: anthropic.url,
      ANTHROPIC_API_KEY: 'fake-anthropic-key-for-loopback',
      ...opts.controlEnv,
    };
    const startControl = () =>
      startPlaneProcess({ script: join(ROOT, 'control-plane/main.ts'), readyEvent: 'listening', echo: opts.echo, env: controlEnv });
    // Its port is picked before the start and may be taken meanwhile (another process's outgoing
    // connection): the first start tries other picked ports; restarts keep the one it got, so a restarted
    // control plane answers where the first one did.
    const givenPort = opts.controlEnv?.PORT;
    let control = await startOnPickedPorts(
      async () => {
        if (givenPort === undefined) controlEnv.PORT = String(await freePort());
        return startControl();
      },
      { repickable: () => givenPort === undefined },
    );
    cleanups.push(async () => void (await control.stop()));
    checkpoint();
    const apiUrl = String(control.ready.url);
    progress(`control plane listening at ${apiUrl} (embedded NATS hub started)`);
    const operatorToken = await issuer.issue({ typ: 'operator', tenant: '*', ttlSeconds: 3600 });

    const api: Topology['api'] = async (path, init = {}) => {
      const res = await fetch(apiUrl + path, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: {
          authorization: `Bearer ${init.token ?? operatorToken}`,
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // leave as text
      }
      return { status: res.status, body };
    };

    const routed = opts.customerEnv?.LLM_MODE === 'routed';
    // The tenant's LLM mode is the vendor's record of its choice; the proxy serves routed tenants only.
    const created = await api('/v1/tenants', { body: { name: 'demo-customer', llmMode: routed ? 'routed' : 'direct' } });
    if (created.status !== 201) throw new Error(`tenant creation failed: ${JSON.stringify(created.body)}`);
    const tenant = created.body.tenant.id as string;
    progress(`tenant ${tenant} created; one-time enrollment token issued`);
    const apiTok = await api(`/v1/tenants/${tenant}/tokens`, { body: { typ: 'api', ttlSeconds: 3600 } });
    const agentTok = routed
      ? await api(`/v1/tenants/${tenant}/tokens`, { body: { typ: 'agent', sub: 'runner', ttlSeconds: 3600 } })
      : undefined;

    const repoDir = writeSampleRepo(join(workDir, 'repo'), opts.repoFiles);
    const customerEnv: Record<string, string> = {
      TENANT_ID: tenant,
      CONTROL_PLANE_URL: apiUrl,
      ENROLL_TOKEN: created.body.enrollToken,
      STATE_DIR: join(workDir, 'customer-plane'),
      ...(customerDb ? { DATABASE_URL: customerDb.url } : {}),
      REPOS: `sample=${repoDir}`,
      OPENAI_BASE_URL: openai.url,
      OPENAI_API_KEY: 'fake-openai-key-for-loopback',
      ANTHROPIC_BASE_URL: anthropic.url,
      ANTHROPIC_API_KEY: 'fake-anthropic-key-for-loopback',
      LOG_LEVEL: opts.logLevel ?? 'info',
      ...(agentTok ? { AGENT_TOKEN: agentTok.body.token } : {}),
      ...opts.customerEnv,
    };
    const startCustomer = () =>
      startPlaneProcess({
        script: join(ROOT, 'customer-plane/main.ts'),
        nodeArgs: CUSTOMER_PLANE_NODE_ARGS,
        readyEvent: 'ready',
        echo: opts.echo,
        env: customerEnv,
      });
    checkpoint();
    let customer = await startCustomer();
    cleanups.push(async () => void (await customer.stop()));
    checkpoint();
    progress(`customer plane enrolled (signing key ${String(customer.ready.kid).slice(0, 12)}…); its leaf node dialed out to the hub`);

    return {
      apiUrl,
      tenant,
      operatorToken,
      apiToken: apiTok.body.token,
      get control() {
        return control;
      },
      async startControl() {
        // Same state dir, database and port: what a supervisor does after a crash or an upgrade.
        control = await startControl();
      },
      get customer() {
        return customer;
      },
      async stopCustomer() {
        await customer.stop();
      },
      async startCustomer() {
        // Same state dir: the plane is enrolled already, so it starts from its stored key and login.
        customer = await startCustomer();
      },
      openai,
      anthropic,
      databaseUrl: databaseUrl ?? embeddedPostgresUrl(join(workDir, 'control-plane'), 'agentplane'),
      customerDatabaseUrl: customerDb?.url ?? embeddedPostgresUrl(customerEnv.STATE_DIR, 'agentplane'),
      customerStateDir: customerEnv.STATE_DIR,
      workDir,
      api,
      async waitForWorkflow(id, { timeoutMs = 30_000, onPoll } = {}) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const res = await api(`/v1/workflows/${id}`, { token: apiTok.body.token });
          onPoll?.(res.body);
          if (res.status === 200 && (res.body.status === 'succeeded' || res.body.status === 'failed')) return res.body;
          if (Date.now() > deadline) throw new Error(`workflow ${id} did not finish: ${JSON.stringify(res.body)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      stop: () => runCleanups(cleanups),
    };
  } catch (err) {
    await runCleanups(cleanups);
    throw err;
  }
}

async function runCleanups(cleanups: Array<() => Promise<void> | void>): Promise<void> {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch {
      // best effort: one failed cleanup must not keep the others from running
    }
  }
  cleanups.length = 0;
}
