import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  freePort,
  NATS_SERVER_BIN,
  startNatsServer,
  startOnPickedPorts,
  type NatsServerProcess,
} from '../../shared/nats-server-process.ts';
import { renderLeafConfig } from './config.ts';

export type LocalLogins = { egress: { user: string; password: string }; runner: { user: string; password: string } };

/** The installed nats-server's version, e.g. "2.9.10", so the config uses only settings it knows. */
export function detectNatsServerVersion(bin = NATS_SERVER_BIN): string {
  const out = execFileSync(bin, ['--version'], { encoding: 'utf8' });
  const m = /v?(\d+\.\d+\.\d+)/.exec(out);
  if (!m) throw new Error('cannot read nats-server version');
  return m[1];
}

/**
 * The embedded default when no LEAF_NATS_URL is configured: a nats-server leaf on loopback ports,
 * dialing out to the hub with the enrolled login. Local logins are fresh random passwords per start.
 * Its HTTP monitor is off unless `monitorPort` is given. The link to the hub is plaintext only when
 * the hub is on loopback (the embedded hub); `onPlaintextLink` is told so, to say it in one line.
 */
export async function startEmbeddedLeaf(opts: {
  stateDir: string;
  tenant: string;
  hubLeafUrl: string;
  leafUser: string;
  leafPassword: string;
  serverVersion?: string;
  waitForHubMs?: number;
  monitorPort?: number;
  hubCaFile?: string;
  onPlaintextLink?: (hubUrl: string) => void;
  /** Where the fresh client port comes from (tests hand out a taken one). */
  pickPort?: () => Promise<number>;
}): Promise<{
  process: NatsServerProcess;
  natsUrl: string;
  logins: LocalLogins;
  monitorUrl?: string;
  configPath: string;
  /** Whether the link to the hub came up within waitForHubMs (the plane starts either way; the outbox waits). */
  linked: boolean;
}> {
  const dir = join(opts.stateDir, 'leaf');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const monitorPort = opts.monitorPort;
  const logins: LocalLogins = {
    egress: { user: 'egress', password: randomBytes(18).toString('base64url') },
    runner: { user: 'runner', password: randomBytes(18).toString('base64url') },
  };
  const configPath = join(dir, 'leaf.conf');
  const serverVersion = opts.serverVersion ?? detectNatsServerVersion();
  const hubUrl = new URL(opts.hubLeafUrl);
  if (hubUrl.protocol !== 'tls:') opts.onPlaintextLink?.(`${hubUrl.protocol}//${hubUrl.host}`);
  // The client port is picked on every attempt; the monitor port is the caller's and is kept.
  const { proc, clientPort } = await startOnPickedPorts(async () => {
    const clientPort = await (opts.pickPort ?? freePort)();
    writeFileSync(
      configPath,
      renderLeafConfig({
        tenant: opts.tenant,
        clientPort,
        monitorPort,
        storeDir: join(dir, 'jetstream'),
        hubLeafUrl: opts.hubLeafUrl,
        leafUser: opts.leafUser,
        leafPassword: opts.leafPassword,
        localUsers: logins,
        serverVersion,
        hubCaFile: opts.hubCaFile,
      }),
      { mode: 0o600 },
    );
    return { proc: await startNatsServer({ configPath, port: clientPort }), clientPort };
  });
  const monitorUrl = monitorPort ? `http://127.0.0.1:${monitorPort}` : undefined;
  const waitMs = opts.waitForHubMs ?? 10_000;
  const linked = await (monitorUrl ? waitForHubLink(monitorUrl, waitMs) : waitForHubLinkInLog(proc, waitMs));
  return { process: proc, natsUrl: `nats://127.0.0.1:${clientPort}`, logins, monitorUrl, configPath, linked };
}

/**
 * Without a monitor, the leaf's own log says when its link to the hub came up: a connection that
 * is not followed by an error or a close within a moment is the link (a refused login is both).
 */
export async function waitForHubLinkInLog(proc: NatsServerProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let from = 0;
  while (Date.now() < deadline) {
    const created = await proc.waitForLog(/Leafnode connection created/, deadline - Date.now(), from);
    if (!created) return false;
    const lid = /lid:\d+/.exec(created.line)?.[0] ?? '';
    const failed = await proc.waitForLog(new RegExp(`${lid} - Leafnode (?:Error|connection closed)`), 300, created.index);
    if (!failed) return true;
    from = failed.index + 1;
  }
  return false;
}

/** Resolves once the leaf's monitor reports a connection to the hub, so the first publish has somewhere to go. */
export async function waitForHubLink(monitorUrl: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${monitorUrl}/leafz`);
      const body = (await res.json()) as { leafnodes?: number };
      if ((body.leafnodes ?? 0) > 0) return true;
    } catch {
      // monitor not up yet
    }
    await sleep(100);
  }
  return false;
}
