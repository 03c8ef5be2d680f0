import type { ErrorCode } from '../../shared/boundary.ts';
import { createWorkspace, type Workspace } from '../workspace/workspace.ts';
import { LedgerError } from './ledger/journal.ts';
import type { RunLedger, RunRow } from './ledger/runs.ts';
import { AgentplaneError } from '../../shared/errors.ts';

export class RunFailure extends AgentplaneError {
  declare readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, opts?: { cause?: unknown }) {
    super(code, message, opts);
  }
}

/**
 * The run's workspace, fresh or rebuilt: a baseline copy of the repository, then the workspace diffs
 * of the steps that already succeeded, in the order they finished. A run resumed on another runner
 * (or host) therefore continues from exactly the state its last completed step left. The baseline's
 * tree id is recorded at the first start; a repository that changed since then fails the run rather
 * than resume on other content.
 */
export async function prepareWorkspace(
  run: RunRow,
  deps: { ledger: RunLedger; sourceDir: string; workspaceDir: string },
): Promise<{ workspace: Workspace; tree: string }> {
  // Ledger reads happen outside the try below: a database outage is retried, it does not fail the run.
  const done = await deps.ledger.completedDiffs(run.id);
  let workspace: Workspace;
  try {
    workspace = await createWorkspace({ sourceDir: deps.sourceDir, parentDir: deps.workspaceDir, runId: run.id });
  } catch (err) {
    throw new RunFailure('workspace_error', 'the workspace could not be created', { cause: err });
  }
  try {
    if (run.baselineTree && run.baselineTree !== workspace.baselineTree) {
      throw new RunFailure('workspace_error', 'the repository changed since this run started; it cannot be resumed on other content');
    }
    let tree = workspace.baselineTree;
    for (const step of done) {
      if (!step.diff) continue;
      await workspace.applyDiff(step.diff);
      tree = await workspace.snapshot();
      if (step.treeAfter && tree !== step.treeAfter)
        throw new RunFailure('workspace_error', 'replaying the completed steps did not give their recorded workspace');
    }
    if (!run.baselineTree)
      await deps.ledger.setBaseline(run.id, workspace.baselineTree).catch((err) => Promise.reject(new LedgerError(err)));
    return { workspace, tree };
  } catch (err) {
    await workspace.destroy().catch(() => {});
    if (err instanceof RunFailure || err instanceof LedgerError) throw err;
    throw new RunFailure('workspace_error', 'the workspace could not be rebuilt', { cause: err });
  }
}
