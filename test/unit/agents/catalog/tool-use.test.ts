import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CATALOG } from '../../../../agents/catalog/index.ts';
import type { DeterministicAgent } from '../../../../agents/types.ts';
import type { RecordedCall } from '../../../../bench/support/fixture-toolbox.ts';
import { runOnFixture } from '../../../support/agents.ts';

test('every deterministic agent calls only the tools on its own list, and reads nothing outside the workspace', async () => {
  for (const agent of Object.values(CATALOG).filter((a): a is DeterministicAgent => a.kind === 'deterministic')) {
    const calls: RecordedCall[] = [];
    await runOnFixture(agent, 'node-shop', { calls, inputs: {} });
    for (const c of calls) {
      assert.ok(agent.tools.includes(c.tool), `${agent.name} called ${c.tool}, which is not on its list`);
      const reason = c.result.ok ? '' : c.result.reason;
      assert.notEqual(reason, 'path_outside_workspace', `${agent.name}: ${JSON.stringify(c.input)}`);
      assert.notEqual(reason, 'invalid_arguments', `${agent.name}: ${JSON.stringify(c.input)}`);
    }
  }
});

test("the fixtures' answer keys are not visible to the agents", async () => {
  const calls: RecordedCall[] = [];
  await runOnFixture(CATALOG.indexer as DeterministicAgent, 'node-shop', { calls });
  const listed = calls.find((c) => c.tool === 'list_files')!;
  assert.ok(listed.result.ok && !listed.result.output.split('\n').includes('expected.json'));
});
