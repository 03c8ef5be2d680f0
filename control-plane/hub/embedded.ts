import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { z } from 'zod';
import type { Logger } from '../../shared/log.ts';
import {
  freePort,
  portOpen,
  startNatsServer,
  startOnPickedPorts,
  stopLeftoverServer,
  type NatsServerProcess,
} from '../../shared/nats-server-process.ts';
import { ACCOUNTS_FILE, renderHubAccounts, renderHubConfig, type LeafUser } from './config.ts';
import { superviseHub } from './supervisor.ts';
import { parseJsonOrUndefined } from '../../shared/json-text.ts';

/**
 * The embedded default when no HUB_NATS_URL is configured: a nats-server child process on loopback,
 * with a generated config and a fresh control-plane password for this run. Its ports are chosen once
 * and kept in the state directory (`hub/ports.json`), as its JetStream store is, so a restarted
 * control plane brings the hub back where enrolled leaves dial it, with the queued dispatches and
 * unprocessed batches still there. While the control plane runs, the hub is supervised: a hub that
 * dies is started again on the same ports (supervisor.ts). The enrolled tenants are in the config
 * from the first start, so no reload races the first connection.
 */
const portsSchema = z.object({ client: z.number().int(), leaf: z.number().int(), monitor: z.number().int() });
type HubPorts = z.infer<typeof portsSchema>;

export type EmbeddedHub = {
  /** The hub's current process (a new one after the supervisor restarted it). */
  readonly process: NatsServerProcess;
  natsUrl: string;
  user: string;
  password: string;
  passwordBcrypt: string;
  accountsPath: string;
  pidFile: string;
  leafUrl: string;
  /** The hub's HTTP monitor on loopback (leaf links are read from /leafz). */
  monitorUrl: string;
  /** How many times the supervisor has started the hub again after it died. */
  restarts(): number;
  /** Stops supervising, then the hub. */
  stop(): Promise<void>;
};

export async function startEmbeddedHub(opts: {
  stateDir: string;
  leafPort?: number;
  tenants?: LeafUser[];
  leafTls?: { certFile: string; keyFile: string };
  log?: Logger;
  /** Where fresh ports come from (tests hand out a taken one). */
  pickPort?: () => Promise<number>;
}): Promise<EmbeddedHub> {
  const dir = join(opts.stateDir, 'hub');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const user = 'control-plane';
  const password = randomBytes(24).toString('base64url');
  const passwordBcrypt = await bcrypt.hash(password, 10);
  const pidFile = join(dir, 'hub.pid');
  const configPath = join(dir, 'hub.conf');
  const accountsPath = join(dir, ACCOUNTS_FILE);
  // A hub left running by a control plane that was killed where it could not take the hub with it.
  if (await stopLeftoverServer(pidFile, configPath))
    opts.log?.warn({ pidFile }, 'stopped an embedded hub left running by an earlier start');
  writeFileSync(
    accountsPath,
    renderHubAccounts({ controlPlaneUser: user, controlPlanePasswordBcrypt: passwordBcrypt, tenants: opts.tenants ?? [] }),
    { mode: 0o600 },
  );
  const portsFile = join(dir, 'ports.json');
  let choice: PortChoice | undefined;
  const { supervised, ports } = await startOnPickedPorts(
    async () => {
      choice = await choosePorts({ path: portsFile, leafPort: opts.leafPort, pickPort: opts.pickPort ?? freePort, failed: choice });
      const { ports } = choice;
      writeFileSync(
        configPath,
        renderHubConfig({
          clientPort: ports.client,
          leafPort: ports.leaf,
          monitorPort: ports.monitor,
          storeDir: join(dir, 'jetstream'),
          pidFile,
          leafTls: opts.leafTls,
        }),
        { mode: 0o600 },
      );
      const supervised = await superviseHub({
        start: (onExit) => startNatsServer({ configPath, port: ports.client, onExit }),
        log: opts.log,
      });
      return { supervised, ports };
    },
    {
      repickable: () => choice?.picked === true,
      onRetry: (err, attempt) =>
        opts.log?.warn({ err, attempt, ports: choice?.ports }, 'the embedded hub did not start on the ports picked for it; picking others'),
    },
  );
  return {
    get process() {
      return supervised.current();
    },
    natsUrl: `nats://127.0.0.1:${ports.client}`,
    user,
    password,
    passwordBcrypt,
    accountsPath,
    pidFile,
    leafUrl: `${opts.leafTls ? 'tls' : 'nats-leaf'}://127.0.0.1:${ports.leaf}`,
    monitorUrl: `http://127.0.0.1:${ports.monitor}`,
    restarts: supervised.restarts,
    stop: supervised.stop,
  };
}

/** The hub's ports, and whether any of them was picked now (only those may be picked again). */
type PortChoice = { ports: HubPorts; picked: boolean; leafPicked: boolean };

/**
 * The hub's ports: the ones kept from an earlier start, else free ones, written back for the next
 * start. The leaf port is what enrolled customer planes dial, so a configured or kept one is kept
 * whatever happens (a process holding it makes the start fail, naming the port); the client and
 * monitor ports are only ours, so one taken meanwhile is replaced. After a `failed` start, every port
 * that start picked itself is picked again.
 */
async function choosePorts(opts: {
  path: string;
  leafPort?: number;
  pickPort: () => Promise<number>;
  failed?: PortChoice;
}): Promise<PortChoice> {
  const { failed, pickPort } = opts;
  let kept: HubPorts | undefined;
  if (!failed && existsSync(opts.path)) {
    const parsed = portsSchema.safeParse(parseJsonOrUndefined(readFileSync(opts.path, 'utf8')));
    if (parsed.success) kept = parsed.data;
  }
  const keptLeaf = failed ? (failed.leafPicked ? undefined : failed.ports.leaf) : (opts.leafPort ?? kept?.leaf);
  const keptClient = kept && !(await portOpen(kept.client)) ? kept.client : undefined;
  const keptMonitor = kept && !(await portOpen(kept.monitor)) ? kept.monitor : undefined;
  const ports: HubPorts = {
    leaf: keptLeaf ?? (await pickPort()),
    client: keptClient ?? (await pickPort()),
    monitor: keptMonitor ?? (await pickPort()),
  };
  writeFileSync(opts.path, `${JSON.stringify(ports)}\n`, { mode: 0o600 });
  return {
    ports,
    picked: keptLeaf === undefined || keptClient === undefined || keptMonitor === undefined,
    leafPicked: keptLeaf === undefined,
  };
}
