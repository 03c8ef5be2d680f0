import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import type { JWK } from 'jose';
import { z } from 'zod';
import { EVEN_WITH_OTHER_PROBLEMS, port } from '../shared/config.ts';
import { llmProxyEnvSchema } from './llm-proxy/config.ts';

/** With an external hub these come with HUB_NATS_URL; the embedded hub makes its own. */
export const EXTERNAL_HUB_VARIABLES = ['HUB_NATS_USER', 'HUB_NATS_PASSWORD', 'HUB_ACCOUNTS_PATH', 'HUB_PID_FILE', 'HUB_LEAF_URL'] as const;

/** The control plane's environment. Secrets have no defaults; absent service URLs select the embedded defaults. */
export const controlPlaneEnvSchema = z
  .object({
    /** Postgres connection string for the metadata store; unset = an embedded Postgres in STATE_DIR/postgres. */
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
      .optional(),
    /** Secret: JSON array of private JWKs (EdDSA or ES256, each with a kid). The first signs; all verify (rotation). */
    CONTROL_PLANE_TOKEN_KEYS: z.string().transform(parseTokenKeys),
    /** The NATS hub's client URL; unset = start an embedded nats-server hub on free loopback ports. */
    HUB_NATS_URL: z.string().url().optional(),
    /** Login for HUB_NATS_URL (the hub admits no anonymous clients). */
    HUB_NATS_USER: z.string().optional(),
    /** Secret: password for HUB_NATS_USER. */
    HUB_NATS_PASSWORD: z.string().optional(),
    /** With an external hub: the accounts file its config includes (`include "accounts.conf"`); enrollment rewrites it. */
    HUB_ACCOUNTS_PATH: z.string().optional(),
    /** With an external hub: the hub's pid file, signalled to reload after enrollment. */
    HUB_PID_FILE: z.string().optional(),
    /** The leafnode URL handed to enrolling customer planes (e.g. nats-leaf://hub.example.com:7422). */
    HUB_LEAF_URL: z.string().url().optional(),
    /** With an external hub: its HTTP monitor (e.g. http://hub.internal:8222); readiness then reports how many enrolled leaves are linked. */
    HUB_MONITOR_URL: z.string().url().optional(),
    /** Embedded hub: certificate and key for its leafnode listener (TLS); unset = plaintext on loopback. */
    HUB_LEAF_TLS_CERT_FILE: z.string().optional(),
    HUB_LEAF_TLS_KEY_FILE: z.string().optional(),
    /** Interface the HTTP API binds to. */
    HOST: z.string().default('127.0.0.1'),
    /** HTTP API port; 0 picks a free one. */
    PORT: port().default(8080),
    /** Where the embedded hub keeps its config and JetStream files, and the embedded Postgres its data. */
    STATE_DIR: z.string().default('.state/control-plane'),
    /** Time (ms) a client has to send a whole request, headers and body; slower requests get 408 and are closed. */
    HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
    /** Time (ms) a client has to send the request headers. */
    HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(500).max(120_000).default(10_000),
    /** Idle keep-alive connections are closed after this (ms); keep it above your load balancer's idle timeout. */
    HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(72_000),
    /** Open connections one client address may hold; 0 = no cap (behind a load balancer, cap there). */
    HTTP_MAX_CONNECTIONS_PER_CLIENT: z.coerce.number().int().min(0).max(100_000).default(128),
    /** Port of the Prometheus scrape endpoint (GET /metrics, its own port); unset = no endpoint. */
    METRICS_PORT: port().optional(),
    /** Interface the scrape endpoint binds to; keep it off the public network. */
    METRICS_HOST: z.string().default('127.0.0.1'),
    /** The operator's OpenTelemetry collector (OTLP/HTTP base URL) for pushed metrics; unset = none. */
    OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
    /**
     * A running workflow whose customer plane sends nothing about it for this long (ms) is ended
     * `failed` with `customer_plane_silent`; keep it well above the runners' RUNNER_REPORT_INTERVAL_MS.
     */
    WORKFLOW_SILENCE_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(1000)
      .max(7 * 24 * 3_600_000)
      .default(900_000),
    /**
     * At SIGTERM, how long LLM proxy calls in flight may still finish (ms) before they are cut; every
     * call is counted either way. Default: LLM_TIMEOUT_MS + 30 s. Give the orchestrator a stop
     * timeout above it (ECS allows up to 120 s).
     */
    SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(600_000).optional(),
    /** pino level: trace, debug, info, warn, error, fatal, silent. */
    LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    // The LLM proxy's variables (provider keys and URLs, limits, breaker, REDIS_URL) are documented
    // where they are defined, in llm-proxy/config.ts.
    ...llmProxyEnvSchema.shape,
  })
  .superRefine((env, ctx) => {
    if ((env.HUB_LEAF_TLS_CERT_FILE === undefined) !== (env.HUB_LEAF_TLS_KEY_FILE === undefined)) {
      const missing = env.HUB_LEAF_TLS_CERT_FILE === undefined ? 'HUB_LEAF_TLS_CERT_FILE' : 'HUB_LEAF_TLS_KEY_FILE';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: 'HUB_LEAF_TLS_CERT_FILE and HUB_LEAF_TLS_KEY_FILE are set together or not at all',
      });
    }
    // An external hub needs its login, its accounts file and pid file (enrollment rewrites the one
    // and signals the other) and the URL leaves dial; without them the first enrollment would fail.
    if (env.HUB_NATS_URL === undefined) return;
    for (const name of EXTERNAL_HUB_VARIABLES) {
      if (env[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'required with HUB_NATS_URL' });
    }
  }, EVEN_WITH_OTHER_PROBLEMS);
export type ControlPlaneEnv = z.infer<typeof controlPlaneEnvSchema>;

const KEYS_SHAPE = 'expected a JSON array of private JWKs with kid';

/**
 * The token signing keys, checked as far as they can be without signing anything: JSON, a non-empty
 * array, each a private key with a `kid` that node:crypto can load. Messages name keys by kid only.
 */
function parseTokenKeys(raw: string, ctx: z.RefinementCtx): JWK[] {
  let keys: unknown;
  try {
    keys = JSON.parse(raw);
  } catch {
    ctx.addIssue({ code: 'custom', message: `not JSON; ${KEYS_SHAPE}` });
    return z.NEVER;
  }
  if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => typeof k !== 'object' || !k?.d || typeof k?.kid !== 'string')) {
    ctx.addIssue({ code: 'custom', message: KEYS_SHAPE });
    return z.NEVER;
  }
  for (const key of keys as JWK[]) {
    try {
      const loaded = createPrivateKey({ key: key as JsonWebKey, format: 'jwk' });
      const type = loaded.asymmetricKeyType;
      if (type !== 'ed25519' && !(type === 'ec' && key.crv === 'P-256')) throw new Error('unsupported key type');
    } catch {
      ctx.addIssue({ code: 'custom', message: `key ${JSON.stringify(key.kid)} is not a usable EdDSA (Ed25519) or ES256 private key` });
      return z.NEVER;
    }
  }
  return keys as JWK[];
}
