import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import bcrypt from 'bcryptjs';
import pg from 'pg';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ConstantBackoff, handleWhen, retry } from 'cockatiel';
import { createLogger } from '../../shared/log.ts';
import { isBriefHubOutage } from '../../shared/nats-errors.ts';
import { generateTenantKey, importTenantKey, type TenantSigningKey } from '../../shared/signing.ts';
import { createTokenIssuer, generateSigningJwk } from '../../shared/tokens.ts';
import { freePort, startNatsServer, startOnPickedPorts, type NatsServerProcess } from '../../shared/nats-server-process.ts';
import { ACCOUNTS_FILE, renderHubAccounts, renderHubConfig } from '../../control-plane/hub/config.ts';
import { controlPlaneEnvSchema } from '../../control-plane/config.ts';
import { createControlPlane, type ControlPlane } from '../../control-plane/create-control-plane.ts';
import { customerPlaneEnvSchema } from '../../customer-plane/config.ts';
import { createCustomerPlane, type CustomerPlane, type RuntimeOverrides } from '../../customer-plane/create-customer-plane.ts';
import { createTestDatabase } from './scratch-database.ts';
import type { Forwarded } from '../../customer-plane/egress/forwarder.ts';
import { startPlaneProcess, type PlaneProcess } from './plane-process.ts';

/**
 * Boundary test harness: a hub nats-server that the test owns (so it can be killed and restarted
 * on the same ports and store), a control plane against it (in this process or as a child), and
 * tenants enrolled through the real HTTP API. Every call creates its own dirs and ports.
 */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `ap-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Waits for a cleanup step, but never forever (a drain against a dead server would): errors ignored. */
export async function bounded(p: Promise<unknown> | undefined, ms = 15_000): Promise<void> {
  if (!p) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

export type TestHub = {
  natsUrl: string;
  leafUrl: string;
  user: string;
  password: string;
  env: Record<string, string>;
  process(): NatsServerProcess;
  /** A client of the CONTROL account (where AP_UP, AP_DLQ live and every tenant's up subjects arrive). */
  connectControl(name?: string): Promise<NatsConnection>;
  kill9(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
};

export async function startTestHub(dir: string): Promise<TestHub> {
  mkdirSync(dir, { recursive: true });
  const user = 'control-plane';
  const password = randomBytes(18).toString('base64url');
  const pidFile = join(dir, 'hub.pid');
  const configPath = join(dir, 'hub.conf');
  const accountsPath = join(dir, ACCOUNTS_FILE);
  writeFileSync(
    accountsPath,
    renderHubAccounts({ controlPlaneUser: user, controlPlanePasswordBcrypt: await bcrypt.hash(password, 4), tenants: [] }),
  );
  const started = await startOnPickedPorts(async () => {
    const clientPort = await freePort();
    const leafPort = await freePort();
    writeFileSync(configPath, renderHubConfig({ clientPort, leafPort, storeDir: join(dir, 'jetstream'), pidFile }));
    return { clientPort, leafPort, proc: await startNatsServer({ configPath, port: clientPort }) };
  });
  const { clientPort, leafPort } = started;
  let proc = started.proc;
  const natsUrl = `nats://127.0.0.1:${clientPort}`;
  const leafUrl = `nats-leaf://127.0.0.1:${leafPort}`;
  return {
    natsUrl,
    leafUrl,
    user,
    password,
    env: {
      HUB_NATS_URL: natsUrl,
      HUB_NATS_USER: user,
      HUB_NATS_PASSWORD: password,
      HUB_ACCOUNTS_PATH: accountsPath,
      HUB_PID_FILE: pidFile,
      HUB_LEAF_URL: leafUrl,
    },
    process: () => proc,
    // Tests connect right after enrollments reloaded the hub's accounts; under CI load one
    // handshake was seen to stall for the client's whole 20 s default. Short tries, retried.
    connectControl: (name = 'test-observer') =>
      retry(handleWhen(isBriefHubOutage), { maxAttempts: 7, backoff: new ConstantBackoff(250) }).execute(() =>
        connect({ servers: natsUrl, user, pass: password, name, maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: 3_000 }),
      ),
    async kill9() {
      await proc.stop('SIGKILL');
    },
    async restart() {
      // Same config, ports and store: what a supervisor does after a crash.
      proc = await startNatsServer({ configPath, port: clientPort });
    },
    stop: () => proc.stop(),
  };
}

export async function operatorIssuer() {
  const key = await generateSigningJwk();
  const issuer = createTokenIssuer({ keys: [key] });
  return { keysJson: JSON.stringify([key]), operatorToken: () => issuer.issue({ typ: 'operator', tenant: '*', ttlSeconds: 3600 }) };
}

export function captureLogger(service: string) {
  let captured = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      captured += chunk.toString();
      cb();
    },
  });
  return { log: createLogger({ service, level: 'info', destination: sink }), output: () => captured };
}

export async function startControlInProcess(opts: {
  databaseUrl: string;
  hub: TestHub;
  stateDir: string;
  keysJson: string;
}): Promise<{ cp: ControlPlane; url: string; output(): string; stop(): Promise<void> }> {
  const { log, output } = captureLogger('control-plane');
  const env = controlPlaneEnvSchema.parse({
    DATABASE_URL: opts.databaseUrl,
    CONTROL_PLANE_TOKEN_KEYS: opts.keysJson,
    PORT: '0',
    STATE_DIR: opts.stateDir,
    ...opts.hub.env,
  });
  const cp = await createControlPlane({ env, log });
  const url = await cp.listen();
  return { cp, url, output, stop: () => cp.stop() };
}

export function startControlChild(opts: {
  databaseUrl: string;
  hub: TestHub;
  stateDir: string;
  keysJson: string;
  port?: number;
}): Promise<PlaneProcess> {
  return startPlaneProcess({
    script: join(ROOT, 'control-plane/main.ts'),
    readyEvent: 'listening',
    env: {
      DATABASE_URL: opts.databaseUrl,
      CONTROL_PLANE_TOKEN_KEYS: opts.keysJson,
      PORT: String(opts.port ?? 0),
      STATE_DIR: opts.stateDir,
      LOG_LEVEL: 'info',
      ...opts.hub.env,
    },
  });
}

export async function createTenant(
  apiUrl: string,
  operatorToken: string,
  name = 'boundary-test',
): Promise<{ tenant: string; enrollToken: string }> {
  const res = await fetch(`${apiUrl}/v1/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const body = (await res.json()) as { tenant: { id: string }; enrollToken: string };
  if (res.status !== 201) throw new Error(`tenant creation failed: ${JSON.stringify(body)}`);
  return { tenant: body.tenant.id, enrollToken: body.enrollToken };
}

/** The customer plane in this process: enrolls, starts its leaf, egress, forwarder and (idle) runner. */
export async function startCustomerInProcess(opts: {
  apiUrl: string;
  tenant: string;
  enrollToken: string;
  stateDir: string;
  onForwarded?: (f: Forwarded) => void | Promise<void>;
  /** The customer plane's own database; default: a scratch database dropped at stop. */
  databaseUrl?: string;
  /** Extra environment (REPOS, LLM endpoints, …). */
  env?: Record<string, string>;
  runtime?: RuntimeOverrides;
}): Promise<{ plane: CustomerPlane; output(): string; databaseUrl: string; stop(): Promise<void> }> {
  const { log, output } = captureLogger('customer-plane');
  const db = opts.databaseUrl ? undefined : await createTestDatabase('cust');
  const databaseUrl = opts.databaseUrl ?? db!.url;
  try {
    const env = customerPlaneEnvSchema.parse({
      TENANT_ID: opts.tenant,
      CONTROL_PLANE_URL: opts.apiUrl,
      ENROLL_TOKEN: opts.enrollToken,
      STATE_DIR: opts.stateDir,
      DATABASE_URL: databaseUrl,
      OPENAI_API_KEY: 'unused-in-this-test',
      OPENAI_BASE_URL: 'http://127.0.0.1:9',
      LOG_LEVEL: 'info',
      ...opts.env,
    });
    const plane = await createCustomerPlane({ env, log, onForwarded: opts.onForwarded, runtime: opts.runtime });
    return {
      plane,
      output,
      databaseUrl,
      async stop() {
        try {
          await plane.stop();
        } finally {
          await db?.drop();
        }
      },
    };
  } catch (err) {
    await db?.drop();
    throw err;
  }
}

export async function query<T = Record<string, unknown>>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** Stored events and batches for a tenant, as numbers. */
export async function storedCounts(databaseUrl: string, tenant: string): Promise<{ events: number; batches: number; batchEvents: number }> {
  const [e] = await query<{ n: string }>(databaseUrl, 'SELECT count(*) AS n FROM up_events WHERE tenant_id = $1', [tenant]);
  const [b] = await query<{ n: string; s: string | null }>(
    databaseUrl,
    'SELECT count(*) AS n, sum(events) AS s FROM up_batches WHERE tenant_id = $1',
    [tenant],
  );
  return { events: Number(e.n), batches: Number(b.n), batchEvents: Number(b.s ?? 0) };
}

/** Enrolls like a customer plane does (fresh Ed25519 key, one-time token) and returns what it gets. */
export async function enrollDirect(
  apiUrl: string,
  enrollToken: string,
): Promise<{ key: TenantSigningKey; leaf: { url: string; username: string; password: string } }> {
  const generated = await generateTenantKey();
  const key = await importTenantKey(generated.privateJwk);
  const res = await fetch(`${apiUrl}/v1/enroll`, {
    method: 'POST',
    headers: { authorization: `Bearer ${enrollToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ publicKey: key.publicJwk }),
  });
  const body = (await res.json()) as { leaf: { url: string; username: string; password: string } };
  if (res.status !== 201) throw new Error(`enrollment failed: ${JSON.stringify(body)}`);
  return { key, leaf: body.leaf };
}
