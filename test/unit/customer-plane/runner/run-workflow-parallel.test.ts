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
