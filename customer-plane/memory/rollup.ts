import { createHash } from 'node:crypto';
import type { ErrorCode } from '../../shared/boundary.ts';
import { type Db, inTransaction } from '../../shared/db/pool.ts';
import { jsonb } from '../runner/ledger/pg-safe.ts';
import { outcomeOfStep } from './autonomy.ts';
import type { OutcomeEvent } from './standing.ts';
import { readWorking, type WorkingRow } from './working.ts';

/**
 * When a run ends, its working memory is folded into the lasting layers: the run's outcome (episodic),
 * the files it saw by content hash with the indexer's symbols (semantic), the tool sequences of its
 * succeeded steps (procedural); then the scratchpad is cleared. Safe to run twice for the same run (a
 * redelivered run finishes again): the episode is keyed by run id and the rest happens only with it.
 */

export type FinishedStep = {
  id: string;
  stepKey: string;
  agent: string;
  status: 'succeeded' | 'failed' | 'skipped' | 'pending' | 'running';
  errorCode: ErrorCode;
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
  findings: number;
  /** The gate denied one of its calls because of the agent's autonomy level. */
  refusedForLevel: boolean;
  /** A person rejected an action the step asked to take (an approval): it counts as an override. */
  overridden?: boolean;
};

export type FinishedRun = {
  runId: string;
  repo: string;
  template: string;
  environment: string;
  status: 'succeeded' | 'failed';
  errorCode: ErrorCode;
  steps: FinishedStep[];
};

export async function rollUpRun(db: Db, run: FinishedRun, opts: { turnsMaxAgeDays: number }): Promise<void> {
  const working = await readWorking(db, run.runId);
  await inTransaction(db, async (c) => {
    const prior = await c.query('SELECT path, sha256 FROM memory.semantic_files WHERE repo = $1 AND environment = $2', [
      run.repo,
      run.environment,
    ]);
    const seen = filesSeen(working);
    const before = new Map(prior.rows.map((r) => [r.path as string, r.sha256 as string]));
    const changed = before.size === 0 ? null : [...seen.values()].filter((f) => before.get(f.path) !== f.sha256).length;
    const counted = run.steps.filter((s) => s.status === 'succeeded' || s.status === 'failed');
    const inserted = await c.query(
      `INSERT INTO memory.episodes (run_id, repo, environment, template, status, error_code, steps, steps_failed, llm_calls, turns_reused,
         input_tokens, output_tokens, findings, files_changed)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (run_id) DO NOTHING RETURNING run_id`,
      [
        run.runId,
        run.repo,
        run.environment,
        run.template,
        run.status,
        run.errorCode,
        counted.length,
        counted.filter((s) => s.status === 'failed').length,
        sum(run.steps, (s) => s.llmCalls),
        sum(working, (w) => w.turnsReused),
        sum(run.steps, (s) => s.inputTokens),
        sum(run.steps, (s) => s.outputTokens),
        sum(run.steps, (s) => s.findings),
        changed,
      ],
    );
    if (inserted.rowCount === 0) return; // rolled up before

    // A run whose indexer listed the repository sees all of it: files it no longer has are dropped.
    const indexed = working.find((w) => w.succeeded && w.baseline && w.indexFiles);
    if (indexed) {
      await c.query('DELETE FROM memory.semantic_files WHERE repo = $1 AND environment = $2 AND NOT (path = ANY($3::text[]))', [
        run.repo,
        run.environment,
        [...seen.keys()],
      ]);
    }
    const index = new Map((indexed?.indexFiles ?? []).map((f) => [f.path, f]));
    for (const f of seen.values()) {
      const ix = index.get(f.path);
      await c.query(
        `INSERT INTO memory.semantic_files (repo, environment, path, sha256, language, lines, symbols, run_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)
         ON CONFLICT (repo, environment, path) DO UPDATE SET sha256 = EXCLUDED.sha256, run_id = EXCLUDED.run_id, seen_at = now(),
           language = CASE WHEN EXCLUDED.symbols IS NULL AND memory.semantic_files.sha256 = EXCLUDED.sha256 THEN memory.semantic_files.language ELSE EXCLUDED.language END,
           lines = CASE WHEN EXCLUDED.symbols IS NULL AND memory.semantic_files.sha256 = EXCLUDED.sha256 THEN memory.semantic_files.lines ELSE EXCLUDED.lines END,
           symbols = CASE WHEN EXCLUDED.symbols IS NULL AND memory.semantic_files.sha256 = EXCLUDED.sha256 THEN memory.semantic_files.symbols ELSE EXCLUDED.symbols END`,
        [run.repo, run.environment, f.path, f.sha256, ix?.language ?? null, ix?.lines ?? null, jsonb(ix?.symbols ?? null), run.runId],
      );
    }

    for (const w of working.filter((x) => x.succeeded && x.tools.length > 0)) {
      const sequence = w.tools.map((t) => ({ tool: t.tool, target: t.target }));
      const hash = createHash('sha256').update(JSON.stringify(sequence)).digest('hex');
      await c.query(
        `INSERT INTO memory.procedures (repo, environment, template, step_key, agent, sequence_hash, sequence, successes, last_run_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, 1, $8)
         ON CONFLICT (repo, environment, template, step_key, agent, sequence_hash)
         DO UPDATE SET successes = memory.procedures.successes + 1, last_run_id = EXCLUDED.last_run_id, last_at = now()`,
        [run.repo, run.environment, run.template, w.stepKey, w.agent, hash, jsonb(sequence), run.runId],
      );
    }
    await c.query('DELETE FROM memory.working WHERE run_id = $1', [run.runId]);
    await c.query(
      `DELETE FROM memory.semantic_turns WHERE repo = $1 AND environment = $2 AND used_at < now() - make_interval(days => $3)`,
      [run.repo, run.environment, opts.turnsMaxAgeDays],
    );
  });
}

/** The outcome each counted step gives its agent, for the meta-cognitive layer (one event per step id). */
export function outcomeEvents(run: FinishedRun): OutcomeEvent[] {
  return run.steps
    .filter((s): s is FinishedStep & { status: 'succeeded' | 'failed' } => s.status === 'succeeded' || s.status === 'failed')
    .map((s) => ({
      ref: s.id,
      agent: s.agent,
      environment: run.environment,
      outcome: s.overridden ? 'override' : outcomeOfStep(s.status, s.errorCode, s.refusedForLevel),
      repo: run.repo,
    }));
}

/** The repository's files as the run found them: full reads by steps that started before anything changed the workspace. */
function filesSeen(working: WorkingRow[]): Map<string, { path: string; sha256: string }> {
  const out = new Map<string, { path: string; sha256: string }>();
  for (const w of working) {
    if (!w.baseline) continue;
    for (const f of w.files) if (f.full) out.set(f.path, { path: f.path, sha256: f.sha256 });
  }
  return out;
}

const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((n, x) => n + f(x), 0);
