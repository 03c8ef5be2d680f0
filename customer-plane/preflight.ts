import { z } from 'zod';
import { ConfigError } from '../shared/errors.ts';
import type { CustomerPlaneEnv } from './config.ts';
import type { LocalLogins } from './leaf/embedded.ts';
import type { SecretStore } from './secrets/store.ts';
import { parseJsonOrUndefined } from '../shared/json-text.ts';

/**
 * How this plane reaches an LLM: the vendor's proxy with an agent token, or the customer's own keys —
 * which of them exist, not their values: those are read again at each call.
 */
export type LlmCredentials = { mode: 'routed' } | { mode: 'direct'; openai: boolean; anthropic: boolean };

export type StartupSecrets = { llm: LlmCredentials; localLogins?: LocalLogins };

const login = z.object({ user: z.string().min(1), password: z.string().min(1) });
const localLoginsSchema = z.object({ egress: login, runner: login });

/**
 * The checks that need the secret store, made before the plane enrolls, starts its leaf or connects
 * anywhere: the LLM credentials for the configured mode (from the environment or the store), the
 * local NATS logins an external leaf needs, and a way to enroll if this plane is not enrolled yet.
 * Every problem is collected, so one ConfigError names them all; what was read is returned so the
 * plane does not read it twice.
 */
export async function checkStartupSecrets(env: CustomerPlaneEnv, secrets: SecretStore): Promise<StartupSecrets> {
  const problems: string[] = [];
  let llm: LlmCredentials;
  if (env.LLM_MODE === 'routed') {
    const agentToken = env.AGENT_TOKEN ?? (await secrets.get('agent-token'));
    if (!agentToken) problems.push('missing required variable(s): AGENT_TOKEN (or the `agent-token` secret) for LLM_MODE=routed');
    llm = { mode: 'routed' };
  } else {
    const openaiKey = env.OPENAI_API_KEY ?? (await secrets.get('openai-api-key'));
    const anthropicKey = env.ANTHROPIC_API_KEY ?? (await secrets.get('anthropic-api-key'));
    if (!openaiKey && !anthropicKey) {
      problems.push('missing required variable(s): OPENAI_API_KEY or ANTHROPIC_API_KEY (or the matching secrets) for direct LLM mode');
    }
    llm = { mode: 'direct', openai: Boolean(openaiKey), anthropic: Boolean(anthropicKey) };
  }

  let localLogins: LocalLogins | undefined;
  if (env.LEAF_NATS_URL !== undefined) {
    const stored = await secrets.get('local-nats-logins');
    const parsed = stored === undefined ? undefined : localLoginsSchema.safeParse(parseJsonOrUndefined(stored));
    if (parsed?.success) localLogins = parsed.data;
    else problems.push('with LEAF_NATS_URL set, the secret `local-nats-logins` must hold the egress and runner logins');
  }

  if (!env.ENROLL_TOKEN && (await secrets.get('leaf-credentials')) === undefined) {
    problems.push('missing required variable(s): ENROLL_TOKEN (this plane is not enrolled yet)');
  }

  if (problems.length) throw new ConfigError('customer-plane', problems);
  return { llm, localLogins };
}
