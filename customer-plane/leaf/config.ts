import { renderNatsConf, type ConfValue } from '../../shared/nats-conf.ts';
import { subjects } from '../../shared/subjects.ts';
import { AgentplaneError } from '../../shared/errors.ts';

/**
 * The customer's leaf node: it dials out to the hub and listens on nothing but loopback. There is no
 * leafnode, cluster or gateway listener, so nothing outside can connect in. Local processes log in as
 * one of two users: only `egress` may publish `ap.up.*`; the runner may not.
 */
export type LeafConfigInput = {
  tenant: string;
  clientPort: number;
  /** nats-server's HTTP monitor (loopback only); off unless a port is configured. */
  monitorPort?: number;
  storeDir: string;
  hubLeafUrl: string;
  leafUser: string;
  leafPassword: string;
  localUsers: { egress: { user: string; password: string }; runner: { user: string; password: string } };
  /** The nats-server version the config targets; settings newer than the target are left out. */
  serverVersion: string;
  /** CA bundle that signed the hub's leafnode certificate, when it is not in the system's trust store. */
  hubCaFile?: string;
};

/** The hub–leaf link is plaintext only to a hub on this machine (the embedded default and tests). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export class LeafLinkNotEncryptedError extends AgentplaneError {
  constructor(host: string) {
    super(
      'leaf_link_plaintext',
      `the hub at ${host} is not on this machine: its leafnode URL must use tls:// (the link would be plaintext)`,
    );
  }
}

/** Local namespaces that must never cross the link, whatever the hub would allow. */
export const LEAF_DENY = ['ap.local.>', '$JS.>', '$JSC.>', '$KV.>', '$O.>', '$SYS.>', '_INBOX.>'];

export function supportsSyncAlways(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 10);
}

/**
 * The leaf's config. A hub that is not on loopback must be reached over TLS (`tls://`), verified
 * against the system's roots or `hubCaFile`; a plaintext URL to it is refused here, so no rendered
 * production config sends leaf credentials and metadata in clear.
 */
export function renderLeafConfig(input: LeafConfigInput): string {
  const url = new URL(input.hubLeafUrl);
  const tls = url.protocol === 'tls:';
  if (!tls && !isLoopbackHost(url.hostname)) throw new LeafLinkNotEncryptedError(url.hostname);
  url.username = encodeURIComponent(input.leafUser);
  url.password = encodeURIComponent(input.leafPassword);
  const tenant = input.tenant;
  const jetstream: Record<string, ConfValue> = { store_dir: input.storeDir, domain: 'leaf' };
  // Acknowledged outbox messages must survive a crash; servers before 2.10 lack the setting.
  if (supportsSyncAlways(input.serverVersion)) jetstream.sync_interval = 'always';
  const conf: Record<string, ConfValue | undefined> = {
    server_name: `leaf-${tenant}`,
    listen: `127.0.0.1:${input.clientPort}`,
    http: input.monitorPort ? `127.0.0.1:${input.monitorPort}` : undefined,
    jetstream,
    authorization: {
      users: [
        {
          user: input.localUsers.egress.user,
          password: input.localUsers.egress.password,
          permissions: {
            publish: { allow: [subjects.upAll(tenant), 'ap.local.>', '$JS.API.>', '$JS.ACK.>'] },
            subscribe: { allow: ['ap.local.>', `${subjects.downInbox(tenant)}.>`, '_INBOX.>'] },
          },
        },
        {
          user: input.localUsers.runner.user,
          password: input.localUsers.runner.password,
          permissions: {
            publish: { allow: ['ap.local.>', '$JS.API.>', '$JS.ACK.>'], deny: ['ap.up.>', 'ap.down.>'] },
            subscribe: { allow: [subjects.down(tenant), 'ap.local.>', '_INBOX.>'] },
          },
        },
      ],
    },
    leafnodes: {
      remotes: [
        {
          urls: [url.toString()],
          tls: tls ? { ...(input.hubCaFile ? { ca_file: input.hubCaFile } : {}), timeout: 5 } : undefined,
          deny_exports: [...LEAF_DENY, 'ap.down.>'],
          deny_imports: [...LEAF_DENY, 'ap.up.>'],
        },
      ],
    },
  };
  return renderNatsConf(conf);
}
