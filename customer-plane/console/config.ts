import { z } from 'zod';
import { port } from '../../shared/config.ts';
import { consoleBindScope } from './bind-address.ts';

/**
 * The console's variables, spread into the customer plane's schema. Off unless CONSOLE_PORT is set.
 * A console on a private-network address must be served over TLS (the admin secret and the session
 * cookie would otherwise cross the network in clear text); on loopback TLS is optional.
 */
export const consoleEnvShape = {
  /** Port of the local web console; unset = no console. 0 = any free port. */
  CONSOLE_PORT: port().optional(),
  /** Address the console listens on: loopback (default) or a private-network address (then with TLS). */
  CONSOLE_HOST: z
    .string()
    .default('127.0.0.1')
    .superRefine((host, ctx) => {
      const scope = consoleBindScope(host);
      if (!scope.ok) ctx.addIssue({ code: 'custom', message: scope.problem });
    }),
  /** PEM certificate (chain) for serving the console over HTTPS; with CONSOLE_TLS_KEY_FILE. */
  CONSOLE_TLS_CERT_FILE: z.string().optional(),
  /** PEM private key of CONSOLE_TLS_CERT_FILE. */
  CONSOLE_TLS_KEY_FILE: z.string().optional(),
  /** Host names (comma-separated) people use to reach the console besides its address, e.g. the name on its certificate. */
  CONSOLE_HOSTNAMES: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    )
    .refine(
      (list) => list.every((h) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(h)),
      'host names, comma-separated',
    ),
  /** A console session ends after this many minutes without a request. */
  CONSOLE_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(1440).default(30),
  /** …and after this many hours whatever happens. */
  CONSOLE_SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(168).default(8),
};

type ConsoleEnvInput = { CONSOLE_HOST?: unknown; CONSOLE_TLS_CERT_FILE?: unknown; CONSOLE_TLS_KEY_FILE?: unknown };

/** Cross-field rules: TLS needs both files; a private-network console needs TLS. */
export function consoleTlsRule(env: ConsoleEnvInput, ctx: z.RefinementCtx): void {
  const cert = env.CONSOLE_TLS_CERT_FILE !== undefined;
  const key = env.CONSOLE_TLS_KEY_FILE !== undefined;
  if (cert !== key)
    ctx.addIssue({
      code: 'custom',
      path: [cert ? 'CONSOLE_TLS_KEY_FILE' : 'CONSOLE_TLS_CERT_FILE'],
      message: 'required with the other CONSOLE_TLS_* file',
    });
  if (typeof env.CONSOLE_HOST === 'string' && !cert) {
    const scope = consoleBindScope(env.CONSOLE_HOST);
    if (scope.ok && scope.scope === 'private')
      ctx.addIssue({
        code: 'custom',
        path: ['CONSOLE_TLS_CERT_FILE'],
        message: 'required when CONSOLE_HOST is not loopback: the console is served over HTTPS on a network',
      });
  }
}
