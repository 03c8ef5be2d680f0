import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentDefinition } from '../../agents/types.ts';
import { DEFAULT_ENVIRONMENTS } from '../../customer-plane/environments/defaults.ts';
import { runStep, type StepDeps, type StepRun } from '../../customer-plane/runner/run-step.ts';
import { policyFor } from '../../customer-plane/runner/run-workflow.ts';
import { deterministic, stepRig } from './step-rig.ts';

/** runStep's direct tests: one step run on the step rig (see step-rig.ts), in the sandbox environment. */
export const SANDBOX = DEFAULT_ENVIRONMENTS[0]!;

/** One step of a fresh run in the file's shared workspace (put back after a step that changed it), and what the ledger recorded. */
export async function runOneStep(
  agent: AgentDefinition | undefined,
  o: { run?: Partial<StepRun>; deps?: Partial<StepDeps>; rig?: Awaited<ReturnType<typeof stepRig>> } = {},
) {
  const rig = o.rig ?? (await stepRig());
  const { runId, steps } = await rig.openRun([{ key: 'only', agent: agent?.name ?? 'fixer', needs: [] }]);
  const workspace = await rig.sharedWorkspace();
  const r: StepRun = {
    runId,
    tenant: 'tenant-1',
    policy: policyFor(SANDBOX),
    environment: SANDBOX,
    repo: 'sample',
    template: 'code-review',
    step: steps[0]!,
    agent,
    inputs: {},
    params: {},
    workspace,
    tree: workspace.baselineTree,
    baseline: true,
    signal: new AbortController().signal,
    ...o.run,
  };
  let changed = true;
  try {
    const result = await runStep(r, { ...rig.deps, ...o.deps });
    changed = result.tree !== workspace.baselineTree;
    const stored = await rig.ledger.getStep(steps[0]!.id);
    const finish = rig.finishes.find((f) => f.stepId === steps[0]!.id)!.f;
    const files = ['new.txt', 'README.md'].filter((p) => existsSync(join(workspace.root, p)));
    const diff = changed ? await workspace.diff(r.tree, result.tree) : '';
    return { rig, result, stored, finish, workspace, runId, stepId: steps[0]!.id, files, diff };
  } finally {
    if (changed) await workspace.restore(workspace.baselineTree);
  }
}

/** A fixer that writes new.txt, then ends as `end` says. */
export const writesThen = (end: () => unknown, o: Parameters<typeof deterministic>[2] = {}) =>
  deterministic(
    'fixer',
    async (ctx) => {
      await ctx.tools.call('write_file', { path: 'new.txt', content: 'written\n' });
      return end() as never;
    },
    o,
  );
