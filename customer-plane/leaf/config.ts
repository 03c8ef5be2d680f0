import { renderNatsConf, type ConfValue } from '../../shared/nats-conf.ts';
import { subjects } from '../../shared/subjects.ts';

/**
 * The customer's leaf node: it dials out to the hub and listens on nothing but loopback. There is no
 * leafnode, cluster or gateway listener, so nothing outside can connect in. Local processes log in as
 * one of two users: only `egress` may publish `ap.up.*`; the runner may not.
 */
export type LeafConfigInput = {
  tenant: string;
  clientPort: number;
  monitorPort?: number;
  storeDir: string;
  hubLeafUrl: string;
  leafUser: string;
  leafPassword: string;
  localUsers: { egress: { user: string; password: string }; runner: { user: string; password: string } };
  /** The nats-server version the config targets; settings newer than the target are left out. */
  serverVersion: string;
};

/** Local namespaces that must never cross the link, whatever the hub would allow. */
export const LEAF_DENY = ['ap.local.>', '$JS.>', '$JSC.>', '$KV.>', '$O.>', '$SYS.>', '_INBOX.>'];

export function supportsSyncAlways(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 10);
}

export function renderLeafConfig(input: LeafConfigInput): string {
  const url = new URL(input.hubLeafUrl);
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
          deny_exports: [...LEAF_DENY, 'ap.down.>'],
          deny_imports: [...LEAF_DENY, 'ap.up.>'],
        },
      ],
    },
  };
  return renderNatsConf(conf);
}
