import { createHash } from 'node:crypto';
import { canonicalJson } from '../../shared/canonical-json.ts';
import type { Db } from '../../shared/db/pool.ts';
import type { Logger } from '../../shared/log.ts';
import type { RunnerChatRequest } from '../llm/types.ts';
import { jsonb } from '../runner/ledger/pg-safe.ts';

/**
 * The semantic layer's model turns, keyed by content. A turn's key is the SHA-256 of everything the
 * model would see for it — the agent's instructions and the runtime frame, the tools and output schema,
 * the run's parameters, the earlier steps' outputs and every tool result of the conversation so far —
 * together with the tenant, the LLM configuration, the repository and the environment. A turn is reused
 * only for a byte-identical request in the same repository and environment, so a changed file reaches
 * the model as soon as a tool result (or an earlier step's output) shows it: there is no stale reuse to
 * invalidate. Tool calls in a reused reply still run live, through the gate.
 *
 * Turns are written only when their step succeeded: a conversation that ended in a failure is not
 * replayed into the same failure. The cache only saves calls: when the database cannot answer a lookup
 * or keep a turn, the step goes on with the model (and says so in the log).
 */

/** Bumped when the request a turn is keyed on changes meaning (a new field, a new frame). */
const KEY_FORMAT = 'agentplane.memory.turn.v1';

export type TurnScope = {
  tenant: string;
  /** The repository alias of the run: reuse never crosses repositories, even ones with the same content. */
  repo: string;
  environment: string;
  /** Which models stand behind the tiers (a changed model map is a different key). */
  llmIdentity: string;
};

export type CachedTurn = { message: { content: string | null; tool_calls?: unknown }; inputTokens: number; outputTokens: number };

export function turnKey(scope: TurnScope, request: RunnerChatRequest): string {
  return createHash('sha256')
    .update(canonicalJson([KEY_FORMAT, scope.tenant, scope.llmIdentity, scope.repo, scope.environment, request]))
    .digest('hex');
}

/** One step's view of the cache: what its loop asks before a model call, and what it keeps for commit. */
export type StepTurnMemo = {
  /** The key of a request, taken before the request is sent (nothing downstream can change what was keyed); '' when reuse is off. */
  keyOf(request: RunnerChatRequest): string;
  lookup(key: string): Promise<CachedTurn | undefined>;
  /** A turn the step got (live, or replayed from the journal): written at commit if the step succeeds. */
  remember(key: string, turn: CachedTurn): void;
  commit(): Promise<void>;
  stats(): { reused: number; remembered: number };
};

export function createTurnCache(db: Db, opts: { reuse: boolean; log: Logger }) {
  return {
    forStep(scope: TurnScope, agent: string): StepTurnMemo {
      const pending = new Map<string, CachedTurn>();
      let reused = 0;
      return {
        // With reuse off there is nothing to look up or keep, so no hashing either ('' = no key).
        keyOf: (request) => (opts.reuse ? turnKey(scope, request) : ''),
        async lookup(key) {
          if (!opts.reuse) return undefined;
          const found = await db
            .query(
              `UPDATE memory.semantic_turns SET hits = hits + 1, used_at = now()
               WHERE repo = $1 AND environment = $2 AND key = $3 RETURNING message, input_tokens, output_tokens`,
              [scope.repo, scope.environment, key],
            )
            .catch((err) => void opts.log.warn({ err, agent }, 'memory lookup failed: asking the model'));
          const rows = found?.rows ?? [];
          if (!rows[0]) return undefined;
          reused += 1;
          return { message: rows[0].message, inputTokens: rows[0].input_tokens, outputTokens: rows[0].output_tokens };
        },
        remember(key, turn) {
          if (opts.reuse) pending.set(key, turn);
        },
        async commit() {
          try {
            for (const [key, t] of pending) {
              await db.query(
                `INSERT INTO memory.semantic_turns (repo, environment, key, agent, message, input_tokens, output_tokens)
                 VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7) ON CONFLICT (repo, environment, key) DO UPDATE SET used_at = now()`,
                [scope.repo, scope.environment, key, agent, jsonb(t.message), t.inputTokens, t.outputTokens],
              );
            }
          } catch (err) {
            opts.log.warn({ err, agent }, 'memory could not keep the step’s model turns: a later run asks the model again');
          } finally {
            pending.clear();
          }
        },
        stats: () => ({ reused, remembered: pending.size }),
      };
    },
  };
}
export type TurnCache = ReturnType<typeof createTurnCache>;
