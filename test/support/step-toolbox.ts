import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ToolResult } from '../../agents/tools.ts';
import type { Logger } from '../../shared/log.ts';
import { DEFAULT_POLICY } from '../../customer-plane/gate/policy.ts';
import type { Authorized, DecisionRecord, Gate, GateRequest, Refused } from '../../customer-plane/gate/gate.ts';
import type { CommandRunner } from '../../customer-plane/guard/types.ts';
import type { PriorEffect, StepJournal } from '../../customer-plane/runner/ledger/journal.ts';
import { createMasker } from '../../customer-plane/secrets/masker.ts';
import { createStepToolBox } from '../../customer-plane/tools/toolbox.ts';
import type { Workspace } from '../../customer-plane/workspace/workspace.ts';

/**
 * Fakes for the step toolbox's direct tests: a workspace whose tree id is its content written out
 * (`a.txt=one|b.txt=two`, so a test reads what a replay rebuilt), a diff `from->to` that applyDiff
 * checks and lays down, a journal that writes down every call in order, a gate that answers what the
 * test scripts. The file tools run for real in a temp dir, so an effect changes what the next
 * snapshot sees.
 */
export async function fakeWorkspace(t: { after(fn: () => unknown): void }) {
  const root = await mkdtemp(join(tmpdir(), 'ap-toolbox-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const applied: string[] = [];
  const read = async (): Promise<string> => {
    const names = (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    const parts: string[] = [];
    for (const e of names)
      parts.push(`${join(e.parentPath, e.name).slice(root.length + 1)}=${await readFile(join(e.parentPath, e.name), 'utf8')}`);
    return parts.sort().join('|');
  };
  const lay = async (tree: string) => {
    for (const e of await readdir(root)) await rm(join(root, e), { recursive: true, force: true });
    for (const part of tree ? tree.split('|') : []) {
      const at = part.indexOf('=');
      const [path, content] = [part.slice(0, at), part.slice(at + 1)];
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
  };
  const workspace = {
    runId: 'run-1',
    root,
    baselineTree: '',
    snapshot: read,
    async diff(from: string, to: string) {
      return from === to ? '' : `${from}->${to}`;
    },
    async applyDiff(diff: string) {
      applied.push(diff);
      if (diff.trim() === '') return;
      const m = /^(.*)->(.*)$/.exec(diff);
      if (!m || m[1] !== (await read())) throw new Error(`the diff does not apply: ${diff}`);
      await lay(m[2]);
    },
    async listFiles() {
      return { files: (await readdir(root)).sort(), truncated: false };
    },
  };
  return { workspace: workspace as unknown as Workspace, root, applied, lay };
}

export type JournalEntry = [string, unknown];

export function fakeJournal() {
  const entries: JournalEntry[] = [];
  let nextId = 100;
  const journal = {
    runId: 'run-1',
    stepId: 'step-1',
    async recordToolCall(c: unknown) {
      entries.push(['call', c]);
    },
    async planEffect(e: unknown) {
      entries.push(['plan', e]);
      return ++nextId;
    },
    async startEffect(id: number) {
      entries.push(['start', id]);
    },
    async commitEffect(id: number, c: object) {
      entries.push(['commit', { id, ...c }]);
    },
    async replayEffect(p: PriorEffect) {
      entries.push(['replay', p.id]);
    },
    async abandonEffect(id: number) {
      entries.push(['abandon', id]);
    },
    async recordDecision(d: DecisionRecord) {
      entries.push(['decision', d]);
    },
  };
  /** The entries of one kind, in order. */
  const of = (kind: string) => entries.filter(([k]) => k === kind).map(([, v]) => v);
  return { journal: journal as unknown as StepJournal, entries, of };
}

/** The gate answers each call with what `answer` returns for it, and keeps every request. */
export function fakeGate(answer: (req: GateRequest) => Authorized | Refused | Promise<Authorized | Refused>) {
  const requests: GateRequest[] = [];
  const gate: Gate = {
    async authorize(req) {
      requests.push(req);
      return answer(req);
    },
  };
  return { gate, requests };
}

/** A write the gate allowed: the file tool writes it under the workspace root. */
export function allowWrite(root: string, path: string, content: string, o: Partial<Authorized> = {}): Authorized {
  return {
    ok: true,
    call: { tool: 'write_file', input: { path, content }, abs: join(root, path) },
    effect: 'write',
    consequences: [],
    external: false,
    approval: 'none',
    ...o,
  };
}

export function allowList(): Authorized {
  return { ok: true, call: { tool: 'list_files', input: {} }, effect: 'read', consequences: [], external: false, approval: 'none' };
}

export function fakeLog() {
  const lines: Array<{ level: string; obj: unknown; msg: unknown }> = [];
  const log = {
    info: (obj: unknown, msg?: unknown) => lines.push({ level: 'info', obj, msg }),
    warn: (obj: unknown, msg?: unknown) => lines.push({ level: 'warn', obj, msg }),
    error: (obj: unknown, msg?: unknown) => lines.push({ level: 'error', obj, msg }),
    debug: () => {},
    child: () => log,
  };
  return { log: log as unknown as Logger, lines };
}

export const prior = (o: Partial<PriorEffect> & { seq: number; tool: string; inputHash: string }): PriorEffect => ({
  id: 1000 + o.seq,
  external: false,
  status: 'committed',
  result: { ok: true, output: 'from the ledger' },
  diff: null,
  treeBefore: null,
  treeAfter: null,
  ...o,
});

/** A toolbox over the fakes; `over` replaces any dependency. */
export function toolbox(
  deps: { gate: Gate; journal: StepJournal; workspace: Workspace },
  over: Partial<Parameters<typeof createStepToolBox>[0]> = {},
) {
  const decisions: DecisionRecord[] = [];
  const tb = createStepToolBox({
    ...deps,
    runner: {} as CommandRunner,
    agent: { name: 'fixer', tools: ['write_file', 'list_files'] },
    policy: DEFAULT_POLICY,
    maxCalls: 10,
    treeBefore: '',
    prior: { effects: new Map(), decisions: new Map() },
    onDecision: (d) => decisions.push(d),
    signal: new AbortController().signal,
    log: fakeLog().log,
    ...over,
  });
  return { tb, decisions };
}

/** The run's secrets as the executor gets them: resolve reads the store (here a map), the masker hides the values. */
export function secretsOf(values: Record<string, string>) {
  const masker = createMasker();
  for (const [k, v] of Object.entries(values)) masker.add(k, v);
  return {
    masker,
    async resolve(name: string): Promise<string> {
      if (!(name in values)) throw new Error(`no secret ${name}`);
      return values[name];
    },
  };
}

export const okResult = (output: string): ToolResult => ({ ok: true, output });
