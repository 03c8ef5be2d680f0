import { renderNatsConf, type ConfValue } from '../../shared/nats-conf.ts';
import { subjects } from '../../shared/subjects.ts';

/**
 * The hub's nats-server config. Each tenant's leaf node logs in to an account of its own, isolated
 * by NATS itself: the only subjects that pass between a tenant account and the control plane's
 * account are the ones exported here — `ap.up.<tenant>.>` up, `ap.down.<tenant>.>` down. Another
 * tenant's subjects, and anything else a leaf publishes, stay inside that tenant's account.
 * Enrollment regenerates the file and reloads the server (SIGHUP); connected leaves stay connected.
 * Only enrolled, unrevoked logins are rendered; a leaf without one is refused (see ANONYMOUS_USER).
 */
export const CONTROL_ACCOUNT = 'CONTROL';
export const tenantAccount = (tenant: string): string => `TENANT-${tenant}`;
export const leafUsername = (tenant: string): string => `leaf-${tenant}`;

export type LeafUser = { tenant: string; username: string; passwordBcrypt: string };

/**
 * nats-server binds a leaf that presents no credentials to the global account unless the leafnode
 * listener has users of its own, and those cannot be changed by a reload (ours live in accounts).
 * `no_auth_user` closes that door: an anonymous leaf or client is treated as this user, which may
 * connect only over MQTT (the hub has no MQTT listener) and whose password matches nothing.
 */
export const REFUSED_ACCOUNT = 'REFUSED';
export const ANONYMOUS_USER = 'anonymous-refused';
const MATCHES_NO_PASSWORD = `$2a$10$${'0'.repeat(53)}`;

/** The server part of the hub config; the accounts live in an include file that enrollment rewrites. */
export type HubConfigInput = {
  serverName?: string;
  clientHost?: string;
  clientPort: number;
  leafHost?: string;
  leafPort: number;
  monitorPort?: number;
  storeDir: string;
  pidFile: string;
  /** TLS for the leafnode listener (production); without it the link is plaintext (embedded default, loopback). */
  leafTls?: { certFile: string; keyFile: string };
};

export const ACCOUNTS_FILE = 'accounts.conf';

export function renderHubConfig(input: HubConfigInput): string {
  const conf: Record<string, ConfValue | undefined> = {
    server_name: input.serverName ?? 'agentplane-hub',
    listen: `${input.clientHost ?? '127.0.0.1'}:${input.clientPort}`,
    http: input.monitorPort ? `127.0.0.1:${input.monitorPort}` : undefined,
    pid_file: input.pidFile,
    max_payload: 1024 * 1024,
    jetstream: { store_dir: input.storeDir, domain: 'hub' },
    leafnodes: {
      listen: `${input.leafHost ?? '127.0.0.1'}:${input.leafPort}`,
      tls: input.leafTls ? { cert_file: input.leafTls.certFile, key_file: input.leafTls.keyFile, timeout: 5 } : undefined,
    },
  };
  // `include` is a directive, not a key; nats-server resolves it relative to this file's folder.
  return `${renderNatsConf(conf)}include ${JSON.stringify(ACCOUNTS_FILE)}\n`;
}

export type HubAccountsInput = {
  /** The control plane's own client login (bcrypt hash): nobody else may use the client port. */
  controlPlaneUser: string;
  controlPlanePasswordBcrypt: string;
  tenants: LeafUser[];
};

export function renderHubAccounts(input: HubAccountsInput): string {
  const accounts: Record<string, ConfValue> = {
    [REFUSED_ACCOUNT]: {
      users: [{ user: ANONYMOUS_USER, password: MATCHES_NO_PASSWORD, allowed_connection_types: ['MQTT'] }],
    },
    [CONTROL_ACCOUNT]: {
      jetstream: 'enabled',
      users: [{ user: input.controlPlaneUser, password: input.controlPlanePasswordBcrypt }],
      imports: input.tenants.map((t) => ({
        stream: { account: tenantAccount(t.tenant), subject: subjects.upAll(t.tenant) },
      })),
      exports: input.tenants.map((t) => ({
        stream: subjects.downAll(t.tenant),
        accounts: [tenantAccount(t.tenant)],
      })),
    },
  };
  for (const t of input.tenants) {
    accounts[tenantAccount(t.tenant)] = {
      // Leaf logins live in the account (not under leafnodes.authorization) because nats-server
      // reloads account users but not leafnode users; the connection type pins them to leaf use.
      users: [{ user: t.username, password: t.passwordBcrypt, allowed_connection_types: ['LEAFNODE'] }],
      exports: [{ stream: subjects.upAll(t.tenant), accounts: [CONTROL_ACCOUNT] }],
      imports: [{ stream: { account: CONTROL_ACCOUNT, subject: subjects.downAll(t.tenant) } }],
    };
  }
  return renderNatsConf({ no_auth_user: ANONYMOUS_USER, accounts });
}
