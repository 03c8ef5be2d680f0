/**
 * A small READ-ONLY toolbox over one directory, for `bench/agents-eval.ts` and the agents' unit tests
 * until the real gate and tool executors are merged.
 *
 * THE GATE IS NOT IN THIS PATH. Runs in production go through `customer-plane/gate/` (allow-list,
 * typed input, path check, command guard, approvals) and the executors in `customer-plane/tools/`.
 * This toolbox only mimics the parts an analysis needs: the agent's allow-list (default deny), the
 * tool input schemas, a path check that stays inside the directory, and the output formats of
 * `agents/tools.ts` (`list_files`: newline-separated relative paths; `read_file`: the text;
 * `search`: `path:line:text` lines). Everything else — `run_command`, `git`, writes, `fetch_url` —
 * is answered `{ok:false, decision:'deny', reason:'tool_not_allowed'}`.
 */
import { lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { ToolName } from '../../shared/boundary.ts';
import { silentLogger } from '../../shared/log.ts';
import { toolInputSchemas, type ToolResult } from '../../agents/tools.ts';
import type { AgentDefinition, AgentOutput, StepContext, SyntaxService, ToolBox } from '../../agents/types.ts';

const READ_TOOLS = new Set<ToolName>(['list_files', 'read_file', 'search']);
const MAX_READ_BYTES = 1024 * 1024;

export type RecordedCall = { tool: ToolName; input: unknown; result: ToolResult };

function deny(reason: string, message: string): ToolResult {
  return { ok: false, decision: 'deny', reason, message };
}

/** Every regular file under `root`, relative, sorted; `.git` is never listed (as the real executor). */
function listTree(root: string, dir: string, hidden: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    // Like .git, installed packages are not listed (a real workspace listing must skip them too, or 5000 files are soon node_modules).
    if (entry.name === '.git' || entry.name === 'node_modules') continue;
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (hidden.has(rel)) continue;
    if (entry.isDirectory()) out.push(...listTree(root, rel, hidden));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

/** A fixture's answer key is not part of the repository the agents see. */
export const HIDDEN_BY_DEFAULT = ['expected.json'];

export function createFixtureToolbox(
  root: string,
  allowed: readonly ToolName[],
  calls: RecordedCall[] = [],
  opts: { hidden?: readonly string[] } = {},
): ToolBox {
  const realRoot = realpathSync(root);
  const hidden = new Set(opts.hidden ?? HIDDEN_BY_DEFAULT);
  /** The absolute path of a relative one, or undefined when it leaves the root (`..`, absolute, symlink out). */
  function resolveInside(rel: string): string | undefined {
    if (rel.includes('\u0000') || isAbsolute(rel) || hidden.has(rel.replace(/^\.\//, ''))) return undefined;
    const abs = join(realRoot, rel);
    if (relative(realRoot, abs).startsWith('..')) return undefined;
    try {
      const real = realpathSync(abs);
      return real === realRoot || real.startsWith(realRoot + sep) ? real : undefined;
    } catch {
      return undefined;
    }
  }
  function run(tool: ToolName, input: unknown): ToolResult {
    if (!allowed.includes(tool)) return deny('tool_not_allowed', `the agent may not call ${tool}`);
    if (!READ_TOOLS.has(tool)) return deny('tool_not_allowed', `${tool} is not available in the read-only fixture toolbox`);
    const parsed = toolInputSchemas[tool].safeParse(input);
    if (!parsed.success) return deny('invalid_arguments', parsed.error.issues.map((i) => i.message).join('; '));
    const args = parsed.data as Record<string, unknown>;
    if (tool === 'list_files') {
      const dir = (args.dir as string | undefined) ?? '';
      if (dir && !resolveInside(dir)) return deny('path_outside_workspace', 'directory outside the workspace');
      const all = listTree(realRoot, dir.replace(/\/+$/, ''), hidden);
      const max = (args.maxFiles as number | undefined) ?? 1000;
      return { ok: true, output: all.slice(0, max).join('\n'), truncated: all.length > max };
    }
    if (tool === 'read_file') {
      const abs = resolveInside(args.path as string);
      if (!abs) return deny('path_outside_workspace', 'path outside the workspace');
      if (!lstatSync(abs).isFile()) return deny('path_invalid', 'not a file');
      const buf = readFileSync(abs);
      if (buf.length > MAX_READ_BYTES) return deny('path_invalid', 'file too large');
      let text = buf.toString('utf8');
      const start = args.startLine as number | undefined;
      const end = args.endLine as number | undefined;
      if (start || end)
        text = text
          .split('\n')
          .slice((start ?? 1) - 1, end)
          .join('\n');
      return { ok: true, output: text };
    }
    // search
    const pattern = args.pattern as string;
    const re = args.regex ? new RegExp(pattern) : undefined;
    const dir = (args.dir as string | undefined) ?? '';
    const max = (args.maxResults as number | undefined) ?? 200;
    const hits: string[] = [];
    for (const path of listTree(realRoot, dir, hidden)) {
      const lines = readFileSync(join(realRoot, path), 'utf8').split('\n');
      for (const [i, text] of lines.entries()) {
        if (re ? re.test(text) : text.includes(pattern)) hits.push(`${path}:${i + 1}:${text}`);
        if (hits.length >= max) return { ok: true, output: hits.join('\n'), truncated: true };
      }
    }
    return { ok: true, output: hits.join('\n') };
  }
  return {
    async call(tool, input) {
      const result = run(tool, input);
      calls.push({ tool, input, result });
      return result;
    },
  };
}

/** A StepContext for one agent over a fixture directory, with this toolbox and the given syntax service. */
export function fixtureStepContext(opts: {
  root: string;
  agent: AgentDefinition;
  syntax: SyntaxService;
  inputs?: Record<string, AgentOutput>;
  params?: Record<string, string>;
  tools?: ToolBox;
  calls?: RecordedCall[];
}): StepContext {
  return {
    workflowId: '01J00000000000000000000000',
    stepId: opts.agent.name,
    agent: opts.agent.name,
    tools: opts.tools ?? createFixtureToolbox(opts.root, opts.agent.tools, opts.calls),
    inputs: opts.inputs ?? {},
    params: opts.params ?? {},
    syntax: opts.syntax,
    log: silentLogger(),
    signal: new AbortController().signal,
  };
}
