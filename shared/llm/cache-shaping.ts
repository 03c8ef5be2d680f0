import { createHash } from 'node:crypto';
import type { ChatTool } from './schema.ts';

/**
 * Provider prompt caches match on an exact prefix. The stable part of a request (system prompt,
 * tool definitions, fixed context) must come first and be byte-identical across calls; anything
 * that varies must come after it. These helpers keep our side of that bargain.
 */

/**
 * The OpenAI prompt_cache_key: one per tenant+agent so calls of the same agent land on the same
 * cache shard, while tenants never share one. Hashed, so provider logs carry no tenant id.
 */
export function promptCacheKey(tenant: string, agent: string): string {
  const k = `${tenant}\u0000${agent}`;
  let key = cacheKeys.get(k);
  if (key === undefined) {
    key = `ap-${createHash('sha256').update(k).digest('base64url').slice(0, 32)}`;
    // Every call of an agent asks again; a hash per call showed in the proxy profile.
    if (cacheKeys.size >= 10_000) cacheKeys.clear();
    cacheKeys.set(k, key);
  }
  return key;
}

const cacheKeys = new Map<string, string>();

/** JSON with object keys sorted at every depth: same schema, same bytes, whatever order the caller used. */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/**
 * Tool definitions in canonical form. Tool order is kept (it can steer the model), only key order
 * inside each definition is normalised.
 */
export function canonicalTools(tools: ChatTool[] | undefined): ChatTool[] | undefined {
  return tools?.length ? (tools.map(sortKeys) as ChatTool[]) : undefined;
}

/**
 * Where Anthropic cache_control breakpoints go (it allows four): the end of the tool definitions,
 * the end of the system prompt, and the end of the conversation history before the newest user
 * turn, so an agent loop re-reads its whole history from cache on the next call.
 */
export function historyBreakpointIndex(messages: { role: string }[]): number {
  let lastUser = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role === 'user') {
      lastUser = i;
      break;
    }
  }
  return lastUser > 0 ? lastUser - 1 : -1;
}
