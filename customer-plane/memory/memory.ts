import type { AgentOutput } from '../../agents/types.ts';
import type { Db } from '../../shared/db/pool.ts';
import type { Logger } from '../../shared/log.ts';
import { LedgerError } from '../runner/ledger/journal.ts';
import type { AutonomyLevel } from '../gate/policy.ts';
import type { MemoryConfig } from './config.ts';
import { type ForgetRequest, forget } from './forget.ts';
import { type FinishedRun, outcomeEvents, rollUpRun } from './rollup.ts';
import { createStandingStore } from './standing.ts';
import { createTurnCache, type StepTurnMemo } from './turn-cache.ts';
import { createStepTrace, indexedFilesOf, type StepTrace, writeWorking } from './working.ts';

/**
 * The customer plane's agent memory: five layers in the local `memory` schema, nothing of it ever sent
 * up. The runner asks it for an agent's autonomy level before each step, gives each LLM step a turn memo
 * (reuse by content), notes each step's scratchpad, and rolls the run up when it ends. The console and
 * the CLI read levels, record a person's override, and forget.
 */
export type StepScope = { runId: string; stepId: string; repo: string; environment: string; template: string; stepKey: string };

export function createMemory(deps: { db: Db; config: MemoryConfig; log: Logger; tenant: string; llmIdentity: string }) {
  const { db, config, log } = deps;
  const standing = createStandingStore(db, config.autonomy);
  const turns = createTurnCache(db, { reuse: config.reuse, log });

  return {
    config,

    /** The agent's level in the environment. The gate must not guess: an unreadable record fails the attempt (retried). */
    async levelOf(agent: string, environment: string): Promise<AutonomyLevel> {
      try {
        return await standing.levelOf(agent, environment);
      } catch (err) {
        throw new LedgerError(err);
      }
    },

    /** What one step works with: the turn memo its loop asks, and the trace its toolbox fills. */
    openStep(scope: StepScope, agent: string): { memo: StepTurnMemo; trace: StepTrace } {
      const memo = turns.forStep(
        { tenant: deps.tenant, llmIdentity: deps.llmIdentity, repo: scope.repo, environment: scope.environment },
        agent,
      );
      return { memo, trace: createStepTrace() };
    },

    /** The step ended: its turns are kept if it succeeded, and its scratchpad is written. */
    async closeStep(
      scope: StepScope,
      step: { agent: string; autonomy: AutonomyLevel; succeeded: boolean; baseline: boolean; output?: AgentOutput; turnsLive: number },
      opened: { memo: StepTurnMemo; trace: StepTrace },
    ): Promise<void> {
      if (step.succeeded) await opened.memo.commit();
      try {
        await writeWorking(db, {
          ...scope,
          agent: step.agent,
          autonomy: step.autonomy,
          succeeded: step.succeeded,
          baseline: step.baseline,
          files: opened.trace.files(),
          tools: opened.trace.tools(),
          turnsLive: step.turnsLive,
          turnsReused: opened.memo.stats().reused,
          indexFiles: step.agent === 'indexer' && step.succeeded ? indexedFilesOf(step.output) : undefined,
        });
      } catch (err) {
        // The scratchpad only feeds the lasting layers; the step's outcome is in the ledger and counts anyway.
        log.warn({ err, step: scope.stepKey }, 'memory could not note the step’s scratchpad');
      }
    },

    /**
     * The run ended: roll it up and count each step's outcome for its agent. Throws a retryable error if
     * the database fails, so the run's end is processed again rather than an outcome lost.
     */
    async finishRun(run: FinishedRun): Promise<void> {
      try {
        await rollUpRun(db, run, { turnsMaxAgeDays: config.turnsMaxAgeDays });
        const changes = await standing.record(outcomeEvents(run));
        for (const c of changes)
          log.info({ agent: c.agent, environment: c.environment, from: c.from, to: c.to, reason: c.reason }, 'autonomy level changed');
      } catch (err) {
        throw new LedgerError(err);
      }
    },

    /** Levels per agent and environment (the console's view); pairs without a record show the start level. */
    autonomyLevels: standing.list,
    /**
     * A person rejected an approval the agent asked for, or reverted a patch it made. Besides counting
     * against its level, its remembered model turns in that environment (that repository, if named) are
     * dropped: the same conversation would otherwise bring back the very answer the person overrode.
     */
    async recordOverride(o: { agent: string; environment: string; ref?: string; repo?: string }) {
      const change = await standing.recordOverride(o);
      await db.query('DELETE FROM memory.semantic_turns WHERE agent = $1 AND environment = $2 AND ($3::text IS NULL OR repo = $3)', [
        o.agent,
        o.environment,
        o.repo ?? null,
      ]);
      return change;
    },
    /** An operator puts an agent back at the start level in one environment. */
    resetStanding: standing.reset,
    /** Deletes what memory holds of one repository, or everything. */
    forget: (req: ForgetRequest) => forget(db, req),
  };
}
export type Memory = ReturnType<typeof createMemory>;
