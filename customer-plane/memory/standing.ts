import type pg from 'pg';
import { type Db, inTransaction } from '../../shared/db/pool.ts';
import { newUlid } from '../../shared/ids.ts';
import type { AutonomyLevel } from '../gate/policy.ts';
import { applyOutcome, effectiveLevel, initialStanding, type LevelChange, type Outcome, type Standing, successRate } from './autonomy.ts';
import type { AutonomyThresholds } from './config.ts';

/**
 * The meta-cognitive layer in Postgres: per agent and environment, the counts that set its autonomy
 * level (`memory.standing`), and every counted outcome once (`memory.standing_events`, unique by what it
 * came from), so a run rolled up twice, or an override reported twice, moves nothing twice.
 */

export type OutcomeEvent = {
  /** What the outcome came from: a step id, an approval id, a patch id. Counted once per ref. */
  ref: string;
  agent: string;
  environment: string;
  outcome: Outcome;
  repo?: string;
};

/** One agent's standing in one environment, as the console shows it. */
export type AutonomyRow = {
  agent: string;
  environment: string;
  level: AutonomyLevel;
  successes: number;
  failures: number;
  overrides: number;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  successRate: number;
  changedAt: string | null;
  changeReason: string | null;
};

type Row = Record<string, unknown>;
const standingOf = (r: Row): Standing => ({
  level: r.level as AutonomyLevel,
  successes: r.successes as number,
  failures: r.failures as number,
  overrides: r.overrides as number,
  consecutiveSuccesses: r.consecutive_successes as number,
  consecutiveFailures: r.consecutive_failures as number,
  overridesSinceChange: r.overrides_since_change as number,
});

export function createStandingStore(db: Db, thresholds: AutonomyThresholds) {
  async function lockStanding(c: pg.PoolClient, agent: string, environment: string): Promise<Standing> {
    const init = initialStanding(environment, thresholds);
    await c.query(
      `INSERT INTO memory.standing (agent, environment, level) VALUES ($1, $2, $3) ON CONFLICT (agent, environment) DO NOTHING`,
      [agent, environment, init.level],
    );
    const { rows } = await c.query('SELECT * FROM memory.standing WHERE agent = $1 AND environment = $2 FOR UPDATE', [agent, environment]);
    return standingOf(rows[0]);
  }

  async function save(c: pg.PoolClient, agent: string, environment: string, s: Standing, change?: LevelChange): Promise<void> {
    await c.query(
      `UPDATE memory.standing SET level = $3, successes = $4, failures = $5, overrides = $6, consecutive_successes = $7,
         consecutive_failures = $8, overrides_since_change = $9, updated_at = now(),
         changed_at = CASE WHEN $10::text IS NULL THEN changed_at ELSE now() END, change_reason = coalesce($10, change_reason)
       WHERE agent = $1 AND environment = $2`,
      [
        agent,
        environment,
        s.level,
        s.successes,
        s.failures,
        s.overrides,
        s.consecutiveSuccesses,
        s.consecutiveFailures,
        s.overridesSinceChange,
        change?.reason ?? null,
      ],
    );
  }

  /** Counts each outcome not counted before; returns the level changes they caused. */
  async function record(events: readonly OutcomeEvent[]): Promise<Array<LevelChange & { agent: string; environment: string }>> {
    if (events.length === 0) return [];
    // One lock order for every transaction (agent, environment), so two roll-ups never deadlock.
    const sorted = [...events].sort((a, b) => a.agent.localeCompare(b.agent) || a.environment.localeCompare(b.environment));
    return inTransaction(db, async (c) => {
      const changes: Array<LevelChange & { agent: string; environment: string }> = [];
      for (const e of sorted) {
        const before = await lockStanding(c, e.agent, e.environment);
        const { standing, change } = applyOutcome(before, e.outcome, e.environment, thresholds);
        const inserted = await c.query(
          `INSERT INTO memory.standing_events (ref, agent, environment, kind, repo, level_before, level_after)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (ref, kind) DO NOTHING RETURNING id`,
          [e.ref, e.agent, e.environment, e.outcome, e.repo ?? null, before.level, standing.level],
        );
        if (inserted.rowCount === 0) continue; // counted before
        await save(c, e.agent, e.environment, standing, change);
        if (change) changes.push({ ...change, agent: e.agent, environment: e.environment });
      }
      return changes;
    });
  }

  return {
    record,
    /** The level the gate uses for this agent in this environment (the configured start when it has no record). */
    async levelOf(agent: string, environment: string): Promise<AutonomyLevel> {
      const { rows } = await db.query('SELECT level FROM memory.standing WHERE agent = $1 AND environment = $2', [agent, environment]);
      return rows[0] ? effectiveLevel(rows[0].level, environment) : initialStanding(environment, thresholds).level;
    },

    /**
     * A person overrode the agent: rejected an approval it asked for, or reverted a patch it made. `ref`
     * (the approval's or patch's id) makes a second report of the same override count nothing.
     */
    async recordOverride(o: { agent: string; environment: string; ref?: string; repo?: string }) {
      const [change] = await record([
        { ref: o.ref ?? newUlid(), agent: o.agent, environment: o.environment, outcome: 'override', repo: o.repo },
      ]);
      return change;
    },

    /** An operator puts the agent back at the configured start level, with a clean record of runs in a row. */
    async reset(agent: string, environment: string): Promise<AutonomyLevel> {
      return inTransaction(db, async (c) => {
        const before = await lockStanding(c, agent, environment);
        const level = initialStanding(environment, thresholds).level;
        const after: Standing = { ...before, level, consecutiveSuccesses: 0, consecutiveFailures: 0, overridesSinceChange: 0 };
        await c.query(
          `INSERT INTO memory.standing_events (ref, agent, environment, kind, level_before, level_after) VALUES ($1, $2, $3, 'reset', $4, $5)`,
          [newUlid(), agent, environment, before.level, level],
        );
        await save(c, agent, environment, after);
        await c.query(`UPDATE memory.standing SET changed_at = now(), change_reason = 'reset' WHERE agent = $1 AND environment = $2`, [
          agent,
          environment,
        ]);
        return level;
      });
    },

    /**
     * Levels per agent and environment for the console: every pair asked for (an agent with no record
     * shows the start level), plus every pair that has a record.
     */
    async list(opts: { agents?: readonly string[]; environments?: readonly string[] } = {}): Promise<AutonomyRow[]> {
      const { rows } = await db.query('SELECT * FROM memory.standing ORDER BY environment, agent');
      const out = new Map<string, AutonomyRow>();
      for (const r of rows) {
        const s = standingOf(r);
        out.set(`${r.environment}\0${r.agent}`, {
          agent: r.agent,
          environment: r.environment,
          level: effectiveLevel(s.level, r.environment),
          successes: s.successes,
          failures: s.failures,
          overrides: s.overrides,
          consecutiveSuccesses: s.consecutiveSuccesses,
          consecutiveFailures: s.consecutiveFailures,
          successRate: successRate(s),
          changedAt: r.changed_at ? (r.changed_at as Date).toISOString() : null,
          changeReason: r.change_reason ?? null,
        });
      }
      for (const environment of opts.environments ?? []) {
        for (const agent of opts.agents ?? []) {
          const key = `${environment}\0${agent}`;
          if (out.has(key)) continue;
          const s = initialStanding(environment, thresholds);
          out.set(key, {
            agent,
            environment,
            level: s.level,
            successes: 0,
            failures: 0,
            overrides: 0,
            consecutiveSuccesses: 0,
            consecutiveFailures: 0,
            successRate: 1,
            changedAt: null,
            changeReason: null,
          });
        }
      }
      return [...out.values()].sort((a, b) => a.environment.localeCompare(b.environment) || a.agent.localeCompare(b.agent));
    },
  };
}
export type StandingStore = ReturnType<typeof createStandingStore>;
