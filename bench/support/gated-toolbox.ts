/**
 * The deterministic agents on the fixture repositories, run the way production runs them: each run
 * gets a real workspace (a copy with its own git), and every tool call goes through the customer
 * plane's gate (allow-list, typed input, path check, command guard, policy, the rejecting approval
 * broker) to the real executors, with commands run by the real argv runner in its bubblewrap sandbox.
 * Only the run ledger is left out: these runs are never resumed, so effects are not journaled.
 *
 * A fixture is given to the workspace as a customer's checkout would be: without its answer key
 * (expected.json), and with ESLint installed in node_modules where the fixture is set up for it
 * (links to this checkout's ESLint, as `npm ci` would have put it there; the sandbox has no network).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ToolName } from '../../shared/boundary.ts';
import { newUlid } from '../../shared/ids.ts';
import { type Logger, silentLogger } from '../../shared/log.ts';
import type { ToolResult } from '../../agents/tools.ts';
import type { AgentDefinition, AgentOutput, DeterministicAgent, StepContext, SyntaxService, ToolBox } from '../../agents/types.ts';
import { createRejectingBroker } from '../../customer-plane/gate/approval-broker.ts';
import { createGate, type DecisionRecord } from '../../customer-plane/gate/gate.ts';
import { DEFAULT_POLICY } from '../../customer-plane/gate/policy.ts';
import { type CommandExecution, createCommandExecution } from '../../customer-plane/runner/command-execution.ts';
import { executeTool } from '../../customer-plane/tools/execute.ts';
import { createWorkspace, type Workspace } from '../../customer-plane/workspace/workspace.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURE_REPOS_DIR = join(ROOT, 'test/fixtures/repos');
/** A fixture's answer key is not part of the repository the agents see. */
const ANSWER_KEY = 'expected.json';

export type RecordedCall = { tool: ToolName; input: unknown; result: ToolResult };
export type AgentRunOptions = {
  /** Wraps the gated toolbox, e.g. to answer run_command with a recorded output (parsing tests). */
  tools?: (gated: ToolBox) => ToolBox;
  inputs?: Record<string, AgentOutput>;
  params?: Record<string, string>;
  calls?: RecordedCall[];
};

export type GatedFixtures = {
  execution: CommandExecution;
  syntax: SyntaxService;
  /** The toolbox a step of `agent` gets in `workspace`: every call through the gate to the executors. */
  toolbox(agent: AgentDefinition, workspace: Workspace, opts?: { calls?: RecordedCall[]; decisions?: DecisionRecord[] }): ToolBox;
  /** A fresh workspace of a fixture repository (by name under test/fixtures/repos, or an absolute path). */
  workspace(repo: string): Promise<Workspace>;
  /** Runs one deterministic agent in a fresh workspace of `repo`, checks its output schema, removes the workspace. */
  run(agent: DeterministicAgent, repo: string, opts?: AgentRunOptions): Promise<AgentOutput>;
  /** The same in a workspace the caller made (and removes), e.g. to change it first or look at it after. */
  runIn(agent: DeterministicAgent, workspace: Workspace, opts?: AgentRunOptions): Promise<AgentOutput>;
  dispose(): void;
};

export async function createGatedFixtures(opts: { log?: Logger } = {}): Promise<GatedFixtures> {
  const log = opts.log ?? silentLogger();
  const dir = mkdtempSync(join(tmpdir(), 'ap-fixtures-'));
  const execution = await createCommandExecution({ sandbox: 'auto', stateDir: join(dir, 'state'), log });
  const sources = new Map<string, string>();

  function source(repo: string): string {
    const from = repo.startsWith('/') ? repo : join(FIXTURE_REPOS_DIR, repo);
    let prepared = sources.get(from);
    if (prepared) return prepared;
    prepared = join(dir, 'sources', String(sources.size));
    cpSync(from, prepared, { recursive: true, verbatimSymlinks: true, filter: (p) => !p.endsWith(`/${ANSWER_KEY}`) });
    if (existsSync(join(prepared, 'eslint.config.js')) && !existsSync(join(prepared, 'node_modules'))) installEslint(prepared);
    sources.set(from, prepared);
    return prepared;
  }

  function toolbox(
    agent: AgentDefinition,
    workspace: Workspace,
    o: { calls?: RecordedCall[]; decisions?: DecisionRecord[] } = {},
  ): ToolBox {
    const gate = createGate({
      guard: execution.guard,
      sandbox: execution.runner.sandbox,
      broker: createRejectingBroker(),
      record: (d) => void o.decisions?.push(d),
    });
    const runId = newUlid();
    const stepId = newUlid();
    const signal = new AbortController().signal;
    let seq = 0;
    return {
      async call(tool, input) {
        seq += 1;
        const verdict = await gate.authorize({
          runId,
          stepId,
          seq,
          agent,
          call: { tool, input },
          workspace,
          policy: DEFAULT_POLICY,
          budget: { used: seq - 1, max: agent.budget.maxSteps },
          signal,
        });
        const result: ToolResult = verdict.ok
          ? await executeTool(verdict.call, { workspace, runner: execution.runner, signal })
          : { ok: false, decision: verdict.decision, reason: verdict.reason, message: verdict.message };
        o.calls?.push({ tool, input, result });
        return result;
      },
    };
  }

  async function workspace(repo: string): Promise<Workspace> {
    return createWorkspace({ sourceDir: source(repo), parentDir: join(dir, 'workspaces'), runId: newUlid() });
  }

  async function runIn(agent: DeterministicAgent, ws: Workspace, o: AgentRunOptions = {}): Promise<AgentOutput> {
    const base = toolbox(agent, ws, { calls: o.calls });
    const ctx: StepContext = {
      workflowId: newUlid(),
      stepId: agent.name,
      agent: agent.name,
      tools: o.tools ? o.tools(base) : base,
      inputs: o.inputs ?? {},
      params: o.params ?? {},
      syntax: execution.syntax,
      log,
      signal: new AbortController().signal,
    };
    // Every output must pass the agent's own schema, as the runtime checks it before recording.
    return agent.output.parse(await agent.run(ctx));
  }

  return {
    execution,
    syntax: execution.syntax,
    toolbox,
    workspace,
    runIn,
    async run(agent, repo, o = {}) {
      const ws = await workspace(repo);
      try {
        return await runIn(agent, ws, o);
      } finally {
        await ws.destroy();
      }
    },
    dispose() {
      execution.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** node_modules/eslint and its bin link, pointing at this checkout's ESLint (what `npm ci` would install). */
function installEslint(repo: string): void {
  mkdirSync(join(repo, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules', 'eslint'), join(repo, 'node_modules', 'eslint'));
  symlinkSync('../eslint/bin/eslint.js', join(repo, 'node_modules', '.bin', 'eslint'));
}
