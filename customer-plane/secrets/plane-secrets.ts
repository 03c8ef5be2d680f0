import type { JWK } from 'jose';
import { AgentplaneError } from '../../shared/errors.ts';
import type { ApiKey } from '../../shared/llm/index.ts';
import { importTenantKey, type TenantSigningKey } from '../../shared/signing.ts';
import type { CustomerPlaneEnv } from '../config.ts';
import type { SecretStore } from './store.ts';

/**
 * The plane's own secrets, read where they are used rather than once at start:
 * - the tenant signing key, at each batch egress signs (kept at most `ttlMs`, 60 s by default, so a
 *   busy plane does not call Secrets Manager five times a second);
 * - the routed-mode agent token, at each LLM call (same bound);
 * - direct-mode provider keys, at each LLM call (no cache);
 * - all of them, at each run's start, for that run's masker.
 * A short cache is the one concession: it holds the imported key or the token, never longer than its TTL.
 */
export const PLANE_SECRET_TTL_MS = 60_000;

/** The key in the store is not the one this plane enrolled with: signing with it would only be refused. */
export class SigningKeyError extends AgentplaneError {}

function shortLived<T>(read: () => Promise<T>, ttlMs: number, clock: () => number): () => Promise<T> {
  let held: { value: T; at: number } | undefined;
  return async () => {
    if (held && clock() - held.at < ttlMs) return held.value;
    held = undefined;
    const value = await read();
    held = { value, at: clock() };
    return value;
  };
}

export type SigningKeySource = { kid: string; current(): Promise<TenantSigningKey> };

export function signingKeySource(store: SecretStore, kid: string, opts: { ttlMs?: number; clock?: () => number } = {}): SigningKeySource {
  const current = shortLived(
    async () => {
      const raw = await store.get('tenant-signing-key');
      if (!raw) throw new SigningKeyError('signing_key_missing', 'the tenant signing key is no longer in the secret store');
      const key = await importTenantKey(JSON.parse(raw) as JWK);
      if (key.kid !== kid)
        throw new SigningKeyError('signing_key_changed', 'the signing key in the secret store is not the key this plane enrolled with');
      return key;
    },
    opts.ttlMs ?? PLANE_SECRET_TTL_MS,
    opts.clock ?? Date.now,
  );
  return { kid, current };
}

/** Routed mode: the agent token from the environment, else from the store at each call (≤ TTL). */
export function agentTokenSource(
  env: Pick<CustomerPlaneEnv, 'AGENT_TOKEN'>,
  store: SecretStore,
  opts: { ttlMs?: number; clock?: () => number } = {},
): () => Promise<string> {
  if (env.AGENT_TOKEN) {
    const token = env.AGENT_TOKEN;
    return async () => token;
  }
  return shortLived(
    async () => {
      const token = await store.get('agent-token');
      if (!token) throw new AgentplaneError('agent_token_missing', 'the agent-token secret is no longer in the secret store');
      return token;
    },
    opts.ttlMs ?? PLANE_SECRET_TTL_MS,
    opts.clock ?? Date.now,
  );
}

/**
 * Direct mode: a provider key from the environment as given (it cannot change without a restart), else
 * a function that reads it from the store before each LLM call — no cache: a call costs far more than
 * the read, and a key rotated in the store (or revoked) is used by the very next call.
 */
export function llmKeySource(fromEnv: string | undefined, store: SecretStore, name: 'openai-api-key' | 'anthropic-api-key'): ApiKey {
  if (fromEnv) return fromEnv;
  return async () => {
    const key = await store.get(name);
    if (!key) throw new AgentplaneError('llm_key_missing', `the ${name} secret is no longer in the secret store`);
    return key;
  };
}

/**
 * The plane's own secret values, for a run's masker: LLM keys and agent token (environment and
 * store), the enrollment token, the leaf password, the local NATS passwords and the signing key's
 * private part. Read now, at the run's start.
 */
export async function ownSecretsForMasking(
  env: Pick<CustomerPlaneEnv, 'OPENAI_API_KEY' | 'ANTHROPIC_API_KEY' | 'AGENT_TOKEN' | 'ENROLL_TOKEN'>,
  store: SecretStore,
): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  const add = (name: string, v: unknown) => {
    if (typeof v === 'string' && v) out.push([name, v]);
  };
  add('openai-api-key', env.OPENAI_API_KEY);
  add('anthropic-api-key', env.ANTHROPIC_API_KEY);
  add('agent-token', env.AGENT_TOKEN);
  add('enroll-token', env.ENROLL_TOKEN);
  add('openai-api-key', await store.get('openai-api-key'));
  add('anthropic-api-key', await store.get('anthropic-api-key'));
  add('agent-token', await store.get('agent-token'));
  const json = (text: string | undefined): Record<string, unknown> => {
    try {
      return text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  add('leaf-credentials', json(await store.get('leaf-credentials')).password);
  const logins = json(await store.get('local-nats-logins')) as Record<string, { password?: unknown }>;
  add('local-nats-logins', logins.egress?.password);
  add('local-nats-logins', logins.runner?.password);
  add('tenant-signing-key', json(await store.get('tenant-signing-key')).d);
  return out;
}
