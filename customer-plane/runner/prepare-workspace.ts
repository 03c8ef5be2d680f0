import type { ErrorCode } from '../../shared/boundary.ts';
import { createWorkspace, type Workspace } from '../workspace/workspace.ts';
import { LedgerError } from './ledger/journal.ts';
import type { RunLedger, RunRow } from './ledger/runs.ts';
import { AgentplaneError } from '../../shared/errors.ts';
import { RetryableError } from '../../shared/worker-errors.ts';

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
  deps: {
    ledger: RunLedger;
    sourceDir: string;
    workspaceDir: string;
    /** Fills the run's masked secret references back into a recorded diff (absent: the run has no secrets). */
    unmask?: (diff: string) => Promise<string>;
  },
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
      // The record keeps the diff masked; a step that wrote one of the run's secrets is replayed with it filled in.
      const masked = step.diff.includes('[masked:');
      const diff = masked && deps.unmask ? await deps.unmask(step.diff) : step.diff;
      const applied = await workspace.applyDiff(diff).then(
        () => true,
        (err) => {
          if (!masked) throw err;
          return false;
        },
      );
      tree = applied ? await workspace.snapshot() : '';
      if (!applied || (step.treeAfter && tree !== step.treeAfter)) {
        if (masked)
          throw new RunFailure(
            'workspace_secret_unreplayable',
            'a completed step wrote a secret into the workspace that its masked record cannot give back (the secret was rotated or removed since, or written encoded); the run cannot be resumed — start it again',
          );
        throw new RunFailure('workspace_error', 'replaying the completed steps did not give their recorded workspace');
      }
    }
    if (!run.baselineTree)
      await deps.ledger.setBaseline(run.id, workspace.baselineTree).catch((err) => Promise.reject(new LedgerError(err)));
    return { workspace, tree };
  } catch (err) {
    await workspace.destroy().catch(() => {});
    // A secret store that cannot be read right now is retried, like the ledger.
    if (err instanceof RunFailure || err instanceof LedgerError || err instanceof RetryableError) throw err;
    throw new RunFailure('workspace_error', 'the workspace could not be rebuilt', { cause: err });
  }
}
