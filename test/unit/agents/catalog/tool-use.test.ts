import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CATALOG } from '../../../../agents/catalog/index.ts';
import type { DeterministicAgent } from '../../../../agents/types.ts';
import type { RecordedCall } from '../../../../bench/support/gated-toolbox.ts';
import { runOnFixture } from '../../../support/agents.ts';

test('every deterministic agent, through the real gate, is refused nothing: its tools, programs, paths and budget are what it needs', async () => {
  for (const agent of Object.values(CATALOG).filter((a): a is DeterministicAgent => a.kind === 'deterministic')) {
    for (const repo of ['node-shop', 'py-service']) {
      const calls: RecordedCall[] = [];
      await runOnFixture(agent, repo, { calls, inputs: {} });
      for (const c of calls) {
        assert.ok(agent.tools.includes(c.tool), `${agent.name} called ${c.tool}, which is not on its list`);
        assert.ok(
          c.result.ok || c.result.decision === 'error',
          `${agent.name} on ${repo}: ${c.tool} ${JSON.stringify(c.input)} refused: ${!c.result.ok && c.result.reason}`,
        );
      }
    }
  }
});

test("the fixtures' answer keys are not visible to the agents", async () => {
  const calls: RecordedCall[] = [];
  await runOnFixture(CATALOG.indexer as DeterministicAgent, 'node-shop', { calls });
  const listed = calls.find((c) => c.tool === 'list_files')!;
  assert.ok(listed.result.ok && !listed.result.output.split('\n').includes('expected.json'));
});
