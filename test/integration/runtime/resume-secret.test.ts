import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentOutputSchema, type DeterministicAgent } from '../../../agents/types.ts';
import type { ToolResult } from '../../../agents/tools.ts';
import { LedgerError } from '../../../customer-plane/runner/ledger/journal.ts';
import { createFileSecretStore } from '../../../customer-plane/secrets/file-store.ts';
import { createSecretsProvider } from '../../../customer-plane/secrets/provider.ts';
import { newUlid } from '../../../shared/ids.ts';
import { flakyDb } from '../../support/flaky-db.ts';
import { startRuntimeRig } from '../../support/runtime-rig.ts';

/**
 * A step writes a file holding a secret of the run (a command got it by reference); the run record
 * keeps that step's diff masked. When the run is cut off in a later step and resumed, the workspace is
 * rebuilt from those diffs: the masked references are filled in again from the run's scope and checked
 * against the tree the step recorded, so the run resumes — and when that cannot reproduce the step's
 * workspace, the run fails with a code that says so, not a bare workspace_error.
 */
const TOKEN = 'deploy-token-5f2c9a71e4b3';
const must = (r: ToolResult) => {
  if (!r.ok) throw new Error(`tool refused: ${r.reason}`);
  return r;
};
const agent = (name: 'patch-applier' | 'fixer', run: DeterministicAgent['run']): DeterministicAgent => ({
  name,
  kind: 'deterministic',
  tier: null,
  purpose: 'test',
  tools: ['write_file', 'run_command', 'read_file'],
  programs: ['echo'],
  budget: { maxSteps: 20, maxTokens: 0 },
  output: agentOutputSchema,
  run,
});

async function rigWithSecret(t: Parameters<typeof startRuntimeRig>[0], tokenCommand: string, cutAfterCommits = 3) {
  const dir = mkdtempSync(join(tmpdir(), 'ap-resume-secret-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const provider = createSecretsProvider(createFileSecretStore(join(dir, 'secrets.json')));
  await provider.put({ prefix: 'sandbox/' }, 'DEPLOY_TOKEN', TOKEN);
  let flaky!: ReturnType<typeof flakyDb>;
  const rig = await startRuntimeRig(t, {
    wrapDb: (pool) => (flaky = flakyDb(pool)).db,
    secrets: { provider },
    catalog: {
      'patch-applier': agent('patch-applier', async (ctx) => {
        must(await ctx.tools.call('run_command', { command: tokenCommand }));
        must(await ctx.tools.call('write_file', { path: 'notes.txt', content: 'configured\n' }));
        return { summary: 'configured', findings: [], patches: [] };
      }),
      fixer: agent('fixer', async (ctx) => {
        must(await ctx.tools.call('write_file', { path: 'two.txt', content: '2\n' }));
        const seen = must(await ctx.tools.call('read_file', { path: 'token.txt' }));
        return { summary: `token file: ${seen.output.trim()}`, findings: [], patches: [] };
      }),
    },
    templates: {
      'diagnose-and-fix': {
        name: 'diagnose-and-fix',
        description: 'a step that writes a secret into a file, then another',
        steps: [
          { id: 'configure', agent: 'patch-applier', needs: [] },
          { id: 'second', agent: 'fixer', needs: ['configure'] },
        ],
      },
    },
  });
  const workflowId = newUlid();
  // The database goes away right after an effect commits: by default the second step's first.
  flaky.failAfter(/SET status = 'committed'/, cutAfterCommits);
  await assert.rejects(rig.run('diagnose-and-fix', { workflowId }), LedgerError);
  flaky.heal();
  const rec = (await rig.records.show(workflowId))!;
  assert.ok(!JSON.stringify(rec).includes(TOKEN), 'the run record holds the secret masked only');
  if (cutAfterCommits >= 3) {
    assert.equal(rec.stepList[0].status, 'succeeded');
    assert.match(rec.patchList.map((p) => p.diff).join('\n'), /\+\+\+ b\/token\.txt/);
  }
  return { rig, workflowId };
}

test('a run whose completed step wrote a secret into a file resumes after a crash: the masked diff is filled in from the run’s scope and matches the recorded tree', async (t) => {
  const { rig, workflowId } = await rigWithSecret(t, 'echo {{secret:DEPLOY_TOKEN}} > token.txt');
  const resumed = await rig.run('diagnose-and-fix', { workflowId });
  assert.deepEqual([resumed.status, resumed.errorCode], ['succeeded', 'none']);
  const rec = (await rig.records.show(workflowId))!;
  assert.deepEqual(
    rec.stepList.map((s) => [s.key, s.status, s.attempt]),
    [
      ['configure', 'succeeded', 1],
      ['second', 'succeeded', 2],
    ],
  );
  assert.equal(rec.stepList[1].summary, 'token file: [masked:DEPLOY_TOKEN]', 'the file held the secret again; the record shows it masked');
  assert.ok(!JSON.stringify(rec).includes(TOKEN));
});

test('a step cut off right after its command wrote the secret into a file is resumed: the committed effect is replayed from its masked diff, filled in, not run again', async (t) => {
  const { rig, workflowId } = await rigWithSecret(t, 'echo {{secret:DEPLOY_TOKEN}} > token.txt', 1);
  const resumed = await rig.run('diagnose-and-fix', { workflowId });
  assert.deepEqual([resumed.status, resumed.errorCode], ['succeeded', 'none']);
  const effects = await rig.query<{ attempt: number; seq: number; replayed: boolean }>(
    `SELECT e.attempt, e.seq, e.replayed FROM runtime.effects e JOIN runtime.steps s ON s.id = e.step_id
     WHERE s.step_key = 'configure' AND s.run_id = $1 ORDER BY e.attempt, e.seq`,
    [workflowId],
  );
  assert.deepEqual(
    effects.map((e) => [e.attempt, e.seq, e.replayed]),
    [
      [1, 1, false],
      [2, 1, true],
      [2, 2, false],
    ],
    'the echo was replayed on the second attempt, not run again',
  );
  const rec = (await rig.records.show(workflowId))!;
  assert.equal(rec.stepList[1].summary, 'token file: [masked:DEPLOY_TOKEN]');
});

test('when the masked diff cannot give back the step’s workspace (the secret was rotated since), the resumed run fails with workspace_secret_unreplayable', async (t) => {
  const { rig, workflowId } = await rigWithSecret(t, 'echo {{secret:DEPLOY_TOKEN}} > token.txt');
  const provider = rig.deps.secrets!.provider;
  await provider.put({ prefix: 'sandbox/' }, 'DEPLOY_TOKEN', 'rotated-token-0b8e6d2f');
  const resumed = await rig.run('diagnose-and-fix', { workflowId });
  assert.deepEqual([resumed.status, resumed.errorCode], ['failed', 'workspace_secret_unreplayable']);
});
