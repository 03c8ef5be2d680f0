import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerError } from '../../../../customer-plane/runner/ledger/journal.ts';
import type { RunLedger, RunRow } from '../../../../customer-plane/runner/ledger/runs.ts';
import { prepareWorkspace, RunFailure } from '../../../../customer-plane/runner/prepare-workspace.ts';
import { createWorkspace } from '../../../../customer-plane/workspace/workspace.ts';
import { RetryableError } from '../../../../shared/worker-errors.ts';

/**
 * Direct tests of the workspace a run starts or resumes in: the baseline copy, then the completed
 * steps' diffs in the order they finished, each checked against the tree its step recorded.
 */

const SECRET = 'hunter2-s3cr3t-value';
let dir: string;
let source: string;
/** What an earlier attempt recorded: the baseline, then three steps' trees and diffs. */
const rec = { baseline: '', t1: '', d1: '', t2: '', d2: '', t3: '', d3masked: '' };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ap-prepare-'));
  source = join(dir, 'source');
  await mkdir(source);
  await writeFile(join(source, 'README'), 'hello\n');
  const ws = await createWorkspace({ sourceDir: source, parentDir: join(dir, 'recorded'), runId: 'recorded' });
  rec.baseline = ws.baselineTree;
  await writeFile(join(ws.root, 'a.txt'), 'one\n');
  rec.t1 = await ws.snapshot();
  rec.d1 = await ws.diff(rec.baseline, rec.t1);
  // The second step changes what the first wrote: its diff applies only after the first's.
  await writeFile(join(ws.root, 'a.txt'), 'one\ntwo\n');
  rec.t2 = await ws.snapshot();
  rec.d2 = await ws.diff(rec.t1, rec.t2);
  await writeFile(join(ws.root, '.env'), `TOKEN=${SECRET}\n`);
  rec.t3 = await ws.snapshot();
  rec.d3masked = (await ws.diff(rec.t2, rec.t3)).replaceAll(SECRET, '[masked:TOKEN]');
  await ws.destroy();
});
test.after(() => rm(dir, { recursive: true, force: true }));

async function mkdir(p: string) {
  await (await import('node:fs/promises')).mkdir(p, { recursive: true });
}

type Done = Array<{ stepId: string; diff: string; treeAfter: string | null }>;

function fakeLedger(done: Done | (() => Promise<Done>), o: { setBaseline?: () => Promise<void> } = {}) {
  const baselines: Array<[string, string]> = [];
  const asked: string[] = [];
  const ledger = {
    async completedDiffs(runId: string) {
      asked.push(runId);
      return typeof done === 'function' ? done() : done;
    },
    async setBaseline(runId: string, tree: string) {
      baselines.push([runId, tree]);
      if (o.setBaseline) await o.setBaseline();
    },
  };
  return { ledger: ledger as unknown as RunLedger, baselines, asked };
}

let n = 0;
const runRow = (o: Partial<RunRow> = {}) => ({ id: `run-${++n}`, baselineTree: null, ...o }) as RunRow;
const workspaceDir = () => join(dir, 'workspaces');
const isFailure = (code: string, message?: RegExp) => (e: unknown) =>
  e instanceof RunFailure && e.code === code && (!message || message.test(e.message));
const leftIn = async () => (await readdir(workspaceDir()).catch(() => [] as string[])).sort();

test('a fresh run gets the baseline copy and records its tree id', async () => {
  const run = runRow();
  const { ledger, baselines, asked } = fakeLedger([]);
  const { workspace, tree } = await prepareWorkspace(run, { ledger, sourceDir: source, workspaceDir: workspaceDir() });
  assert.equal(tree, rec.baseline);
  assert.equal(workspace.baselineTree, rec.baseline);
  assert.equal(workspace.root, join(await import('node:fs/promises').then((f) => f.realpath(workspaceDir())), run.id, 'tree'));
  assert.deepEqual(asked, [run.id]);
  assert.deepEqual(baselines, [[run.id, rec.baseline]]);
  await workspace.destroy();
});

test('a resumed run is rebuilt from the baseline and the completed steps’ diffs, in the order they finished', async () => {
  const run = runRow({ baselineTree: rec.baseline });
  const { ledger, baselines } = fakeLedger([
    { stepId: 's1', diff: rec.d1, treeAfter: rec.t1 },
    { stepId: 'reader', diff: '', treeAfter: rec.t1 },
    { stepId: 's2', diff: rec.d2, treeAfter: null },
  ]);
  const { workspace, tree } = await prepareWorkspace(run, { ledger, sourceDir: source, workspaceDir: workspaceDir() });
  assert.equal(await readFile(join(workspace.root, 'a.txt'), 'utf8'), 'one\ntwo\n');
  assert.equal(tree, rec.t2);
  assert.equal(await workspace.snapshot(), rec.t2);
  assert.deepEqual(baselines, [], 'the baseline is recorded only at the first start');
  await workspace.destroy();
});

test('a repository that changed since the run started fails the run with workspace_error and leaves no workspace', async () => {
  const run = runRow({ baselineTree: 'f'.repeat(40) });
  const { ledger, baselines } = fakeLedger([{ stepId: 's1', diff: rec.d1, treeAfter: rec.t1 }]);
  await assert.rejects(
    prepareWorkspace(run, { ledger, sourceDir: source, workspaceDir: workspaceDir() }),
    isFailure('workspace_error', /the repository changed since this run started/),
  );
  assert.deepEqual(baselines, []);
  assert.ok(!(await leftIn()).includes(run.id));
});

test('diffs that do not give their recorded tree, or do not apply, fail the run with workspace_error and leave no workspace', async () => {
  const wrongTree = runRow({ baselineTree: rec.baseline });
  await assert.rejects(
    prepareWorkspace(wrongTree, {
      ledger: fakeLedger([{ stepId: 's1', diff: rec.d1, treeAfter: rec.t2 }]).ledger,
      sourceDir: source,
      workspaceDir: workspaceDir(),
    }),
    isFailure('workspace_error', /replaying the completed steps did not give their recorded workspace/),
  );
  // Out of order: the second step's diff does not apply to the baseline.
  const outOfOrder = runRow({ baselineTree: rec.baseline });
  const { ledger, baselines } = fakeLedger([
    { stepId: 's2', diff: rec.d2, treeAfter: rec.t2 },
    { stepId: 's1', diff: rec.d1, treeAfter: rec.t1 },
  ]);
  await assert.rejects(
    prepareWorkspace(outOfOrder, { ledger, sourceDir: source, workspaceDir: workspaceDir() }),
    isFailure('workspace_error', /the workspace could not be rebuilt/),
  );
  assert.deepEqual(baselines, []);
  const left = await leftIn();
  assert.ok(!left.includes(wrongTree.id) && !left.includes(outOfOrder.id));
});

test('a step that wrote a secret is rebuilt with the value filled back into its masked diff', async () => {
  const run = runRow({ baselineTree: rec.baseline });
  const unmasked: string[] = [];
  const { ledger } = fakeLedger([
    { stepId: 's1', diff: rec.d1, treeAfter: rec.t1 },
    { stepId: 's2', diff: rec.d2, treeAfter: rec.t2 },
    { stepId: 's3', diff: rec.d3masked, treeAfter: rec.t3 },
  ]);
  const unmask = async (d: string) => (unmasked.push(d), d.replaceAll('[masked:TOKEN]', SECRET));
  const { workspace, tree } = await prepareWorkspace(run, { ledger, sourceDir: source, workspaceDir: workspaceDir(), unmask });
  assert.equal(await readFile(join(workspace.root, '.env'), 'utf8'), `TOKEN=${SECRET}\n`);
  assert.equal(tree, rec.t3);
  assert.deepEqual(unmasked, [rec.d3masked], 'only a masked diff is unmasked');
  await workspace.destroy();
});

test('a masked diff that cannot give its secret back fails with workspace_secret_unreplayable, whatever the reason', async () => {
  const done = [
    { stepId: 's1', diff: rec.d1, treeAfter: rec.t1 },
    { stepId: 's2', diff: rec.d2, treeAfter: rec.t2 },
    { stepId: 's3', diff: rec.d3masked, treeAfter: rec.t3 },
  ];
  const cases: Array<[Done, ((d: string) => Promise<string>) | undefined]> = [
    [done, async (d) => d.replaceAll('[masked:TOKEN]', 'rotated-since-value')], // rotated since
    [done, undefined], // no secrets now
    // Does not apply (the file it adds is there already), with no recorded tree to compare either.
    [[...done, { stepId: 's4', diff: rec.d3masked, treeAfter: null }], async (d) => d.replaceAll('[masked:TOKEN]', SECRET)],
  ];
  for (const [steps, unmask] of cases) {
    const run = runRow({ baselineTree: rec.baseline });
    await assert.rejects(
      prepareWorkspace(run, { ledger: fakeLedger(steps).ledger, sourceDir: source, workspaceDir: workspaceDir(), unmask }),
      isFailure('workspace_secret_unreplayable', /its masked record cannot give back/),
    );
    assert.ok(!(await leftIn()).includes(run.id));
  }
});

test('a ledger or secret store that cannot be read is retried (the error as it is), never a failed run', async () => {
  const unreachable = new Error('connection refused');
  const first = runRow();
  await assert.rejects(
    prepareWorkspace(first, {
      ledger: fakeLedger(() => Promise.reject(unreachable)).ledger,
      sourceDir: source,
      workspaceDir: workspaceDir(),
    }),
    (e: unknown) => e === unreachable,
  );
  assert.ok(!(await leftIn()).includes(first.id), 'nothing is created before the ledger answered');

  const baselineLost = runRow();
  await assert.rejects(
    prepareWorkspace(baselineLost, {
      ledger: fakeLedger([], { setBaseline: () => Promise.reject(unreachable) }).ledger,
      sourceDir: source,
      workspaceDir: workspaceDir(),
    }),
    (e: unknown) => e instanceof LedgerError && e.cause === unreachable,
  );
  assert.ok(!(await leftIn()).includes(baselineLost.id));

  const storeDown = new RetryableError('secrets_unavailable', 'the secret store did not answer');
  const run = runRow({ baselineTree: rec.baseline });
  await assert.rejects(
    prepareWorkspace(run, {
      ledger: fakeLedger([{ stepId: 's3', diff: rec.d3masked, treeAfter: null }]).ledger,
      sourceDir: source,
      workspaceDir: workspaceDir(),
      unmask: () => Promise.reject(storeDown),
    }),
    (e: unknown) => e === storeDown,
  );
  assert.ok(!(await leftIn()).includes(run.id));
});

test('a repository that cannot be copied fails the run with workspace_error', async () => {
  const run = runRow();
  const { ledger, baselines } = fakeLedger([]);
  await assert.rejects(
    prepareWorkspace(run, { ledger, sourceDir: join(dir, 'no-such-repo'), workspaceDir: workspaceDir() }),
    isFailure('workspace_error', /the workspace could not be created/),
  );
  assert.deepEqual(baselines, []);
});

test('a workspace that cannot be created or rebuilt fails with the error that stopped it as its cause, so the log says why', async () => {
  // The runner logs the failure with its cause chain: a missing repository, a diff git refused (here its file is not there yet).
  const causedBy = (message: RegExp, cause: (c: Error & { code?: unknown; stderr?: string }) => boolean) => (e: unknown) =>
    isFailure('workspace_error', message)(e) && (e as Error).cause instanceof Error && cause((e as Error).cause as Error);
  await assert.rejects(
    prepareWorkspace(runRow(), { ledger: fakeLedger([]).ledger, sourceDir: join(dir, 'no-such-repo'), workspaceDir: workspaceDir() }),
    causedBy(/could not be created/, (c) => c.code === 'ENOENT'),
  );
  const outOfOrder = fakeLedger([{ stepId: 's2', diff: rec.d2, treeAfter: rec.t2 }]).ledger;
  await assert.rejects(
    prepareWorkspace(runRow({ baselineTree: rec.baseline }), { ledger: outOfOrder, sourceDir: source, workspaceDir: workspaceDir() }),
    causedBy(
      /could not be rebuilt/,
      (c) => c.message === 'git apply failed (exit 1)' && /a\.txt: No such file or directory/.test(c.stderr ?? ''),
    ),
  );
});
