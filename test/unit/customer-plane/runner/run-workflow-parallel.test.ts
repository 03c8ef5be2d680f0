import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import type { AgentName } from '../../../../shared/boundary.ts';
import type { WorkflowTemplate } from '../../../../agents/types.ts';
import { deterministic, ok, useStepRig, workflowRig } from '../../../support/step-rig.ts';

/**
 * How many steps of a run are at work at once: a writer always alone, readers up to maxParallelSteps,
 * counted again each time a step ends while others still run. A long agent works until a bounded time
 * passes or the rule it tests is broken (then it ends at once, and the test sees the breach).
 */
useStepRig();

function overlapProbe(limit: number) {
  let active = 0;
  let most = 0;
  let writers = 0;
  let writerBesideOthers = false;
  let breached: () => void = () => {};
  const breach = new Promise<void>((resolve) => {
    breached = resolve;
  });
  const agent = (name: AgentName, o: { writer?: boolean; long?: boolean } = {}) =>
    deterministic(
      name,
      async () => {
        active += 1;
        if (o.writer) writers += 1;
        most = Math.max(most, active);
        if (writers > 0 && active > 1) writerBesideOthers = true;
        if (most > limit || writerBesideOthers) breached();
        if (o.long) await Promise.race([breach, delay(400)]);
        active -= 1;
        if (o.writer) writers -= 1;
        return ok(name);
      },
      { tools: [o.writer ? 'write_file' : 'read_file'] },
    );
  return { agent, most: () => most, writerBesideOthers: () => writerBesideOthers };
}

const allReady = (agents: AgentName[]): Record<string, WorkflowTemplate> => ({
  'security-audit': {
    name: 'security-audit',
    description: 'test',
    steps: agents.map((agent, i) => ({ id: `s${i}`, agent, needs: [] })),
  },
});

test('a writer waits for the readers still at work when one of them ends, and runs alone', async () => {
  const probe = overlapProbe(3);
  const rig = await workflowRig({
    maxParallelSteps: 3,
    catalog: {
      indexer: probe.agent('indexer'),
      'secret-scanner': probe.agent('secret-scanner', { long: true }),
      fixer: probe.agent('fixer', { writer: true, long: true }),
    },
    templates: allReady(['indexer', 'secret-scanner', 'fixer']),
  });
  assert.equal((await rig.run('security-audit')).status, 'succeeded');
  assert.equal(probe.writerBesideOthers(), false);
});

test('no more readers at work than maxParallelSteps, counted again when one ends', async () => {
  const probe = overlapProbe(2);
  const rig = await workflowRig({
    maxParallelSteps: 2,
    catalog: {
      indexer: probe.agent('indexer'),
      'secret-scanner': probe.agent('secret-scanner', { long: true }),
      'license-checker': probe.agent('license-checker', { long: true }),
      'dependency-auditor': probe.agent('dependency-auditor', { long: true }),
    },
    templates: allReady(['indexer', 'secret-scanner', 'license-checker', 'dependency-auditor']),
  });
  assert.equal((await rig.run('security-audit')).status, 'succeeded');
  assert.equal(probe.most(), 2);
});

test('a step that ends while a failed step’s dependents are being skipped still starts its own dependents', async () => {
  // b fails at once; a ends exactly while c (which needs b) is being written as skipped. The run must
  // then decide again and start d (which needs a), not end with d pending.
  let releaseA: () => void = () => {};
  const aMayEnd = new Promise<void>((resolve) => (releaseA = resolve));
  let tallies = 0;
  let secondTally: () => void = () => {};
  const aEmitted = new Promise<void>((resolve) => (secondTally = resolve));
  const rig = await workflowRig({
    catalog: {
      'secret-scanner': deterministic('secret-scanner', async () => (await aMayEnd, ok('a')), { tools: ['read_file'] }),
      'dependency-auditor': deterministic('dependency-auditor', async () => ({ summary: 'no findings field' }) as never, {
        tools: ['read_file'],
      }),
      'license-checker': deterministic('license-checker', async () => ok('c'), { tools: ['read_file'] }),
      'change-summarizer': deterministic('change-summarizer', async () => ok('d'), { tools: ['read_file'] }),
    },
    templates: {
      'security-audit': {
        name: 'security-audit',
        description: 'test',
        steps: [
          { id: 'a', agent: 'secret-scanner', needs: [] },
          { id: 'b', agent: 'dependency-auditor', needs: [] },
          { id: 'c', agent: 'license-checker', needs: ['b'] },
          { id: 'd', agent: 'change-summarizer', needs: ['a'] },
        ],
      },
    },
    wrapLedger: (l) => ({
      ...l,
      // Each finished step's event reads its gate tally: the second is a's (b's came first).
      gateTally: async (...args) => {
        const got = await l.gateTally(...args);
        if (++tallies === 2) secondTally();
        return got;
      },
      skipStep: async (...args) => {
        releaseA();
        await aEmitted;
        // Everything a's end still does is microtasks; after this turn it has left the running set.
        await new Promise((resolve) => setImmediate(resolve));
        return l.skipStep(...args);
      },
    }),
  });
  const r = await rig.run('security-audit');
  assert.deepEqual((await rig.recordOf(r.runId)).steps, [
    ['a', 'succeeded', 'none'],
    ['b', 'failed', 'invalid_output'],
    ['c', 'skipped', 'dependency_failed'],
    ['d', 'succeeded', 'none'],
  ]);
  assert.deepEqual([r.status, r.errorCode], ['failed', 'invalid_output']);
});
