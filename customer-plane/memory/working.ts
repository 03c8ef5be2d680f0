import { createHash } from 'node:crypto';
import type { ToolResult } from '../../agents/tools.ts';
import type { AgentOutput } from '../../agents/types.ts';
import type { Db } from '../../shared/db/pool.ts';
import { jsonb } from '../runner/ledger/pg-safe.ts';
import type { StepToolBox } from '../tools/toolbox.ts';

/**
 * The working layer: one step's scratchpad while it runs — every file it read (with the SHA-256 of what
 * it got), the tools it called in order and whether each worked — written when the step ends and rolled
 * up into the episodic, semantic and procedural layers when the run ends.
 */

export type FileRead = { path: string; sha256: string; full: boolean };
export type ToolStep = { tool: string; target: string; ok: boolean };
export type IndexedFile = { path: string; language: string; lines: number; symbols: Array<{ name: string; kind: string; line: number }> };

export type WorkingRow = {
  runId: string;
  stepId: string;
  repo: string;
  environment: string;
  template: string;
  stepKey: string;
  agent: string;
  autonomy: string;
  succeeded: boolean;
  /** The step started on the repository's own content (no earlier step had changed the workspace). */
  baseline: boolean;
  files: FileRead[];
  tools: ToolStep[];
  turnsLive: number;
  turnsReused: number;
  indexFiles?: IndexedFile[];
};

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const MAX_TARGET = 256;

/** What a call was aimed at, short: the path, directory, pattern, command or git arguments. */
function targetOf(tool: string, input: unknown): string {
  const i = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const pick = tool === 'git' && Array.isArray(i.args) ? i.args.join(' ') : (i.path ?? i.dir ?? i.pattern ?? i.command ?? i.url ?? '');
  return String(pick).slice(0, MAX_TARGET);
}

export function createStepTrace() {
  const files: FileRead[] = [];
  const tools: ToolStep[] = [];
  function observe(tool: string, input: unknown, result: ToolResult): void {
    tools.push({ tool: tool.slice(0, 64), target: targetOf(tool, input), ok: result.ok });
    if (tool !== 'read_file' || !result.ok) return;
    const i = input as { path?: unknown; startLine?: unknown; endLine?: unknown };
    if (typeof i.path !== 'string') return;
    files.push({
      path: i.path,
      sha256: sha256(result.output),
      full: i.startLine === undefined && i.endLine === undefined && !result.truncated,
    });
  }
  return {
    /** The same toolbox, with every call it answers noted here. */
    wrap(box: StepToolBox): StepToolBox {
      const callRaw = async (tool: string, input: unknown) => {
        const result = await box.callRaw(tool, input);
        observe(tool, input, result);
        return result;
      };
      return { ...box, callRaw, call: (tool, input) => callRaw(tool, input) };
    },
    files: () => files,
    tools: () => tools,
  };
}
export type StepTrace = ReturnType<typeof createStepTrace>;

/** The indexer's per-file records from its output (validated by its schema before the step was recorded). */
export function indexedFilesOf(output: AgentOutput | undefined): IndexedFile[] | undefined {
  const data = output?.data as
    | {
        files?: Array<{ path: string; language: string; lines: number }>;
        symbols?: Array<{ file: string; name: string; kind: string; line: number }>;
      }
    | undefined;
  if (!Array.isArray(data?.files) || !Array.isArray(data?.symbols)) return undefined;
  const byFile = new Map<string, IndexedFile>(
    data.files.map((f) => [f.path, { path: f.path, language: f.language, lines: f.lines, symbols: [] }]),
  );
  for (const s of data.symbols) byFile.get(s.file)?.symbols.push({ name: s.name, kind: s.kind, line: s.line });
  return [...byFile.values()];
}

export async function writeWorking(db: Db, w: WorkingRow): Promise<void> {
  await db.query(
    `INSERT INTO memory.working (run_id, step_id, repo, environment, template, step_key, agent, autonomy, succeeded, files, tools,
       turns_live, turns_reused, index_files, baseline)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12, $13, $14::jsonb, $15)
     ON CONFLICT (run_id, step_id) DO UPDATE SET succeeded = EXCLUDED.succeeded, autonomy = EXCLUDED.autonomy, files = EXCLUDED.files,
       tools = EXCLUDED.tools, turns_live = EXCLUDED.turns_live, turns_reused = EXCLUDED.turns_reused, index_files = EXCLUDED.index_files,
       baseline = EXCLUDED.baseline, at = now()`,
    [
      w.runId,
      w.stepId,
      w.repo,
      w.environment,
      w.template,
      w.stepKey,
      w.agent,
      w.autonomy,
      w.succeeded,
      jsonb(w.files),
      jsonb(w.tools),
      w.turnsLive,
      w.turnsReused,
      jsonb(w.indexFiles ?? null),
      w.baseline,
    ],
  );
}

export async function readWorking(db: Db, runId: string): Promise<WorkingRow[]> {
  const { rows } = await db.query('SELECT * FROM memory.working WHERE run_id = $1 ORDER BY at, step_key', [runId]);
  return rows.map(
    (r): WorkingRow => ({
      runId: r.run_id,
      stepId: r.step_id,
      repo: r.repo,
      environment: r.environment,
      template: r.template,
      stepKey: r.step_key,
      agent: r.agent,
      autonomy: r.autonomy,
      succeeded: r.succeeded,
      baseline: r.baseline,
      files: r.files,
      tools: r.tools,
      turnsLive: r.turns_live,
      turnsReused: r.turns_reused,
      indexFiles: r.index_files ?? undefined,
    }),
  );
}
