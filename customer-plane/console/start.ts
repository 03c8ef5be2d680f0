import { readFileSync } from 'node:fs';
import type { Db } from '../../shared/db/pool.ts';
import { ConfigError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
import type { CustomerPlaneEnv } from '../config.ts';
import type { Environments } from '../environments/environments.ts';
import type { Memory } from '../memory/memory.ts';
import type { SecretStore } from '../secrets/store.ts';
import { ensureLocalAdminSecret } from './admin-secret.ts';
import { type ConsoleServer, startConsole } from './app.ts';

/**
 * The console as the customer plane starts it (CONSOLE_PORT set): the admin secret ensured in the
 * secret store (and read from it at each login, so it can be rotated in place), the TLS files read and
 * checked now, so a wrong path or a key that does not fit stops the start naming the variable.
 */
export async function startConsoleForPlane(o: {
  env: Pick<
    CustomerPlaneEnv,
    | 'CONSOLE_HOST'
    | 'CONSOLE_PORT'
    | 'CONSOLE_TLS_CERT_FILE'
    | 'CONSOLE_TLS_KEY_FILE'
    | 'CONSOLE_HOSTNAMES'
    | 'CONSOLE_SESSION_IDLE_MINUTES'
    | 'CONSOLE_SESSION_MAX_HOURS'
  >;
  db: Db;
  environments: Environments;
  memory: Pick<Memory, 'autonomyLevels'>;
  secrets: SecretStore;
  auditLogPath: string;
  log: Logger;
}): Promise<ConsoleServer> {
  const { env } = o;
  await ensureLocalAdminSecret(o.secrets, o.log);
  const tls =
    env.CONSOLE_TLS_CERT_FILE && env.CONSOLE_TLS_KEY_FILE ? readTls(env.CONSOLE_TLS_CERT_FILE, env.CONSOLE_TLS_KEY_FILE) : undefined;
  let server: ConsoleServer;
  try {
    server = await startConsole({
      host: env.CONSOLE_HOST,
      port: env.CONSOLE_PORT!,
      db: o.db,
      environments: o.environments,
      memory: o.memory,
      auditLogPath: o.auditLogPath,
      adminSecret: () => o.secrets.get('local-admin-secret'),
      log: o.log,
      session: { idleMs: env.CONSOLE_SESSION_IDLE_MINUTES * 60_000, maxAgeMs: env.CONSOLE_SESSION_MAX_HOURS * 3600_000 },
      tls,
      hostnames: env.CONSOLE_HOSTNAMES,
    });
  } catch (err) {
    // OpenSSL's refusal of the pair (a key that does not match, a PEM that is not one) is the operator's to fix.
    if (tls && typeof (err as { code?: unknown }).code === 'string' && String((err as { code: string }).code).startsWith('ERR_OSSL'))
      throw new ConfigError('customer-plane', [
        `CONSOLE_TLS_CERT_FILE / CONSOLE_TLS_KEY_FILE are not a certificate and its key (${(err as { code: string }).code})`,
      ]);
    throw err;
  }
  o.log.info({ url: server.url }, 'console listening; log in with the local admin secret (`local-admin-secret` in the secret store)');
  return server;
}

function readTls(certFile: string, keyFile: string): { cert: Buffer; key: Buffer } {
  const read = (variable: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError('customer-plane', [
        `${variable} ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`,
      ]);
    }
  };
  return { cert: read('CONSOLE_TLS_CERT_FILE', certFile), key: read('CONSOLE_TLS_KEY_FILE', keyFile) };
}
