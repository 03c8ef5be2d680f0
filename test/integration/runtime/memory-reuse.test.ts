import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowTemplate } from '../../../agents/types.ts';
import type { ScriptedRequest } from '../../../scripts/fakes/index.ts';
import { readingModel } from '../../../scripts/fakes/reading-model.ts';
import { startRuntimeRig } from '../../support/runtime-rig.ts';

/**
 * Memory's reuse of model turns, on the real runtime: the real code-review template (or a two-step one),
 * the ledger and memory schemas in a real Postgres, and the reviewer's model the FAKE OpenAI over HTTP,
 * scripted to read every source file (scripts/fakes/reading-model.ts).
 */

const FILES = {
  'README.md': '# shop\n',
  'src/a.ts': 'export function a(x: number) {\n  return x + 1;\n}\n',
  'src/b.ts': 'export const b = "first";\n',
  'src/c.ts': 'export function c() {\n  return 3;\n}\n',
};

const indexAndReview: Record<'code-review', WorkflowTemplate> = {
  'code-review': {
    name: 'code-review',
    description: 'test: the index, then the reviewer',
    steps: [
      { id: 'index', agent: 'indexer', needs: [] },
      { id: 'review', agent: 'reviewer', needs: ['index'] },
    ],
  },
};

type Finding = { file: string; message: string; rule: string };

async function reviewFindings(rig: Awaited<ReturnType<typeof startRuntimeRig>>, runId: string): Promise<Finding[]> {
  const rec = (await rig.records.show(runId))!;
  return rec.findingList.filter((f) => f.rule === 'review/clarity').sort((x, y) => x.file.localeCompare(y.file));
}

/** The shape of what a run sent up: each event's kind, type and field names (never values). */
function shapes(events: Array<{ kind: string; event: object }>): string[] {
  return events.map((e) => `${e.kind}:${(e.event as { type: string }).type}:${Object.keys(e.event).sort().join(',')}`).sort();
}

test('the same template twice on an unchanged repository: the second run’s reviewer takes every model turn from memory (no provider call, no token), gives the same findings, and sends the same kinds of metadata', async (t) => {
  const rig = await startRuntimeRig(t, { repoFiles: FILES, memory: true, script: readingModel() });
  const first = await rig.run('code-review');
  assert.deepEqual([first.status, first.errorCode], ['succeeded', 'none']);
  const firstCalls = rig.openai.requests.count;
  assert.equal(firstCalls, 5, 'list, three reads, the answer');
  const firstEvents = rig.events.splice(0);
  const firstUsage = rig.usage.splice(0);

  const second = await rig.run('code-review');
  assert.deepEqual([second.status, second.errorCode], ['succeeded', 'none']);
  assert.equal(rig.openai.requests.count, firstCalls, 'no model call in the second run');
  assert.deepEqual(rig.usage, [], 'no usage counted');
  assert.deepEqual(await reviewFindings(rig, second.runId), await reviewFindings(rig, first.runId));

  const reviewer = (events: typeof rig.events) =>
    events.map((e) => e.event).find((e) => e.type === 'step.finished' && e.agent === 'reviewer') as {
      llmCalls: number;
      inputTokens: number;
      toolCalls: number;
    };
  assert.equal(reviewer(firstEvents).llmCalls, 5);
  assert.deepEqual([reviewer(rig.events).llmCalls, reviewer(rig.events).inputTokens], [0, 0], 'the step reports the calls it made: none');
  assert.equal(reviewer(rig.events).toolCalls, 4, 'the reused replies’ tool calls still ran, through the gate');
  const calls = await rig.query<{ tool: string; reason: string }>(
    `SELECT c.tool, c.reason FROM runtime.tool_calls c JOIN runtime.steps s ON s.id = c.step_id WHERE c.run_id = $1 AND s.agent = 'reviewer' ORDER BY c.seq`,
    [second.runId],
  );
  assert.deepEqual(
    calls.map((c) => [c.tool, c.reason]),
    [
      ['list_files', 'allowed'],
      ['read_file', 'allowed'],
      ['read_file', 'allowed'],
      ['read_file', 'allowed'],
    ],
  );

  assert.deepEqual(
    shapes(rig.events),
    shapes(firstEvents),
    'a run with memory hits sends exactly the kinds of events and fields one without does',
  );
  assert.deepEqual(rig.rejected, []);
  assert.ok(firstUsage.length === 5);
  const episodes = await rig.query<{ llm_calls: number; turns_reused: number }>(
    'SELECT llm_calls, turns_reused FROM memory.episodes ORDER BY finished_at',
  );
  assert.deepEqual(
    episodes.map((e) => [e.llm_calls, e.turns_reused]),
    [
      [5, 0],
      [0, 5],
    ],
  );
});

test('after a file changes, the turns that saw it are recomputed and the model gets the new content: no stale result is reused; a change the index shows recomputes the whole step that reads the index', async (t) => {
  const seen: ScriptedRequest[] = [];
  const rig = await startRuntimeRig(t, {
    repoFiles: FILES,
    templates: indexAndReview,
    memory: true,
    script: readingModel({ onRequest: (r) => seen.push(r) }),
  });
  await rig.run('code-review');
  assert.equal(rig.openai.requests.count, 5);
  const firstSystem = seen[0].messages.slice(0, 2);

  // Same length, same symbols: the index is unchanged, only b.ts's content is new.
  writeFileSync(join(rig.repoDir, 'src/b.ts'), 'export const b = "other";\n');
  seen.length = 0;
  const edited = await rig.run('code-review');
  assert.equal(edited.status, 'succeeded');
  assert.equal(rig.openai.requests.count, 7, 'two live turns: the one after reading b.ts, and the answer');
  assert.equal(seen.length, 2);
  const lastTool = JSON.parse(seen[0].messages.at(-1)!.content);
  assert.deepEqual([lastTool.kind, lastTool.source.path, lastTool.content], ['untrusted_data', 'src/b.ts', 'export const b = "other";\n']);
  assert.deepEqual(seen[0].messages.slice(0, 2), firstSystem, 'memory adds nothing to the instructions or the task');
  assert.ok(
    seen[0].messages.filter((m) => m.role === 'assistant').every((m) => (m.toolCalls ?? []).length === 1),
    'the reused turns are in the conversation as the model’s own turns, exactly as it made them',
  );
  const b = (await reviewFindings(rig, edited.runId)).find((f) => f.file === 'src/b.ts')!;
  assert.equal(b.message, 'first line: export const b = "other";', 'the answer is about the new content');

  // A new function changes the index the reviewer is given first: every one of its turns is recomputed.
  writeFileSync(join(rig.repoDir, 'src/c.ts'), 'export function c() {\n  return 3;\n}\nexport function d() {\n  return 4;\n}\n');
  const grown = await rig.run('code-review');
  assert.equal(grown.status, 'succeeded');
  assert.equal(rig.openai.requests.count, 12, 'all five turns live');

  // And back to the first content: those turns are in memory again.
  writeFileSync(join(rig.repoDir, 'src/b.ts'), FILES['src/b.ts']);
  writeFileSync(join(rig.repoDir, 'src/c.ts'), FILES['src/c.ts']);
  await rig.run('code-review');
  assert.equal(rig.openai.requests.count, 12);
});

test('reuse never crosses repositories or environments: the same content under another alias, or the same repository in another environment, asks the model', async (t) => {
  const rig = await startRuntimeRig(t, {
    repoFiles: FILES,
    moreRepos: { twin: FILES },
    templates: indexAndReview,
    memory: true,
    script: readingModel(),
  });
  await rig.run('code-review');
  assert.equal(rig.openai.requests.count, 5);
  await rig.run('code-review', { repo: 'twin' });
  assert.equal(rig.openai.requests.count, 10, 'another repository: all live');
  await rig.run('code-review', { environment: 'preview' });
  assert.equal(rig.openai.requests.count, 15, 'another environment: all live');
  await rig.run('code-review', { repo: 'twin' });
  await rig.run('code-review', { environment: 'preview' });
  await rig.run('code-review');
  assert.equal(rig.openai.requests.count, 15, 'each is reused within its own repository and environment');
  const scopes = await rig.query<{ repo: string; environment: string; n: number }>(
    'SELECT repo, environment, count(*)::int AS n FROM memory.semantic_turns GROUP BY repo, environment ORDER BY repo, environment',
  );
  assert.deepEqual(
    scopes.map((s) => [s.repo, s.environment, s.n]),
    [
      ['sample', 'preview', 5],
      ['sample', 'sandbox', 5],
      ['twin', 'sandbox', 5],
    ],
  );
});

test('a step that failed leaves no turn to reuse: the next run asks the model again instead of replaying the failure', async (t) => {
  let answer = '{"summary": 1}';
  const rig = await startRuntimeRig(t, {
    repoFiles: FILES,
    templates: indexAndReview,
    memory: true,
    script: () => ({ content: answer }),
  });
  const bad = await rig.run('code-review');
  assert.deepEqual([bad.status, bad.errorCode], ['failed', 'invalid_output']);
  assert.equal(rig.openai.requests.count, 2, 'the answer and the repair turn');
  assert.deepEqual(await rig.query('SELECT key FROM memory.semantic_turns'), []);
  answer = JSON.stringify({ summary: 'fine', findings: [], patches: [] });
  const good = await rig.run('code-review');
  assert.equal(good.status, 'succeeded');
  assert.equal(rig.openai.requests.count, 3, 'asked again, live');
  await rig.run('code-review');
  assert.equal(rig.openai.requests.count, 3, 'the succeeded turn is reused');
});

test('a person’s override of the agent drops its remembered turns in that environment: the next run asks the model afresh', async (t) => {
  const rig = await startRuntimeRig(t, { repoFiles: FILES, templates: indexAndReview, memory: true, script: readingModel() });
  await rig.run('code-review');
  await rig.run('code-review', { environment: 'preview' });
  assert.equal(rig.openai.requests.count, 10);
  await rig.memory!.recordOverride({ agent: 'reviewer', environment: 'sandbox', ref: 'reverted-patch-1' });
  await rig.run('code-review');
  assert.equal(rig.openai.requests.count, 15, 'overridden in the sandbox: all live');
  await rig.run('code-review', { environment: 'preview' });
  assert.equal(rig.openai.requests.count, 15, 'its turns in preview are kept');
});

test('with MEMORY_REUSE off, every turn asks the model (the runs are otherwise the same)', async (t) => {
  const rig = await startRuntimeRig(t, { repoFiles: FILES, templates: indexAndReview, memory: { reuse: false }, script: readingModel() });
  await rig.run('code-review');
  await rig.run('code-review');
  assert.equal(rig.openai.requests.count, 10);
  assert.deepEqual(await rig.query('SELECT key FROM memory.semantic_turns'), []);
});
