import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunnerChatRequest } from '../../../customer-plane/llm/types.ts';
import { type CachedTurn, createTurnCache, turnKey, type TurnScope } from '../../../customer-plane/memory/turn-cache.ts';
import { silentLogger } from '../../../shared/log.ts';
import { capturedLogger } from '../../support/approvals.ts';
import { downDb, memoryDatabase } from '../../support/memory-db.ts';

const freshDb = memoryDatabase({ after });
/**
 * The turn cache called directly against a scratch database: a kept turn comes back only for the same
 * request in the same repository alias and environment, nothing is kept or found with reuse off, only
 * `commit` writes, and a database that fails makes a miss (the step asks the model), never an error.
 */

const scope: TurnScope = { tenant: 't1', repo: 'shop', environment: 'sandbox', llmIdentity: 'direct:abc' };
const request = (): RunnerChatRequest => ({
  model: 'core',
  messages: [
    { role: 'system', content: 'You review code.' },
    { role: 'user', content: 'Review src/a.ts' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'read_file', arguments: '{"path":"src/a.ts"}' } }],
    },
    { role: 'tool', tool_call_id: 'c1', content: 'export const a = 1;\n' },
  ],
  tools: [{ type: 'function', function: { name: 'read_file', description: 'Read a file.', parameters: { type: 'object' } } }],
  tool_choice: 'auto',
  response_format: { type: 'json_schema', json_schema: { name: 'review', schema: { type: 'object' }, strict: true } },
  max_tokens: 4096,
});
const turn: CachedTurn = { message: { content: 'Looks fine.', tool_calls: [{ id: 'c2' }] }, inputTokens: 120, outputTokens: 7 };

async function keptTurn() {
  const db = await freshDb();
  const cache = createTurnCache(db, { reuse: true, log: silentLogger() });
  const memo = cache.forStep(scope, 'reviewer');
  const key = memo.keyOf(request());
  memo.remember(key, turn);
  await memo.commit();
  return { db, cache, key };
}

test('a kept turn comes back for the byte-identical request in the same repository and environment, and each lookup is counted', async () => {
  const { db, cache, key } = await keptTurn();
  assert.equal(key, turnKey(scope, request()), 'the step keys a request as turnKey does');
  const memo = cache.forStep({ ...scope }, 'reviewer');
  assert.deepEqual(await memo.lookup(memo.keyOf(request())), turn);
  assert.deepEqual(await memo.lookup(key), turn);
  assert.deepEqual(memo.stats(), { reused: 2, remembered: 0 });
  const { rows } = await db.query('SELECT repo, environment, agent, hits, input_tokens, output_tokens FROM memory.semantic_turns');
  assert.deepEqual(rows, [{ repo: 'shop', environment: 'sandbox', agent: 'reviewer', hits: 2, input_tokens: 120, output_tokens: 7 }]);
});

test('changing any one part of the request is a miss: instructions, task, earlier output, tool result, tools, choice, schema, budget, tier', async () => {
  const { cache } = await keptTurn();
  const memo = cache.forStep(scope, 'reviewer');
  const changed: Array<[string, (r: RunnerChatRequest) => void]> = [
    ['instructions', (r) => void (r.messages[0].content = 'You review code carefully.')],
    ['task', (r) => void (r.messages[1].content = 'Review src/b.ts')],
    ['an earlier tool call', (r) => void ((r.messages[2] as { tool_calls: Array<{ id: string }> }).tool_calls[0].id = 'c9')],
    ['a tool result (the file changed)', (r) => void (r.messages[3].content = 'export const a = 2;\n')],
    ['one message fewer', (r) => void r.messages.pop()],
    ['the tools', (r) => void (r.tools = [])],
    ['the tool choice', (r) => void (r.tool_choice = 'required')],
    ['the output schema', (r) => void (r.response_format = { type: 'json_schema', json_schema: { name: 'review', schema: {} } })],
    ['the budget', (r) => void (r.max_tokens = 4095)],
    ['the tier', (r) => void (r.model = 'ultra')],
  ];
  for (const [part, change] of changed) {
    const r = request();
    change(r);
    assert.equal(await memo.lookup(memo.keyOf(r)), undefined, part);
  }
  assert.deepEqual(memo.stats(), { reused: 0, remembered: 0 }, 'a miss is not counted as a reuse');
  assert.deepEqual(await memo.lookup(memo.keyOf(request())), turn, 'the unchanged request still hits');
});

test('reuse never crosses repository aliases or environments, nor tenants or model maps, even for the same request', async () => {
  const { cache, key } = await keptTurn();
  for (const other of [
    { ...scope, repo: 'shop-2' },
    { ...scope, repo: 'sho' },
    { ...scope, environment: 'production' },
    { ...scope, tenant: 't2' },
    { ...scope, llmIdentity: 'direct:def' },
  ]) {
    const memo = cache.forStep(other, 'reviewer');
    assert.equal(await memo.lookup(memo.keyOf(request())), undefined, JSON.stringify(other));
  }
  // Even a key carried over by hand is looked up only under the memo's own alias and environment.
  assert.equal(await cache.forStep({ ...scope, repo: 'shop-2' }, 'reviewer').lookup(key), undefined, 'another alias');
  assert.equal(await cache.forStep({ ...scope, environment: 'preview' }, 'reviewer').lookup(key), undefined, 'another environment');
  assert.deepEqual(await cache.forStep(scope, 'indexer').lookup(key), turn, 'the agent is not part of where a turn is found');
});

test('only commit writes a remembered turn; after it nothing is pending, and a second commit writes nothing again', async () => {
  const db = await freshDb();
  const memo = createTurnCache(db, { reuse: true, log: silentLogger() }).forStep(scope, 'reviewer');
  const key = memo.keyOf(request());
  memo.remember(key, turn);
  memo.remember(`${key}-2`, { ...turn, inputTokens: 1 });
  assert.deepEqual(memo.stats(), { reused: 0, remembered: 2 });
  assert.equal(await memo.lookup(key), undefined, 'not found before commit');
  assert.equal((await db.query('SELECT 1 FROM memory.semantic_turns')).rowCount, 0);
  await memo.commit();
  assert.deepEqual(memo.stats(), { reused: 0, remembered: 0 });
  assert.equal((await db.query('SELECT 1 FROM memory.semantic_turns')).rowCount, 2);
  await db.query('DELETE FROM memory.semantic_turns');
  await memo.commit();
  assert.equal((await db.query('SELECT 1 FROM memory.semantic_turns')).rowCount, 0, 'nothing was left pending');
});

test('with reuse off nothing is keyed, found or kept', async () => {
  const { db, key } = await keptTurn();
  const memo = createTurnCache(db, { reuse: false, log: silentLogger() }).forStep(scope, 'reviewer');
  assert.equal(memo.keyOf(request()), '');
  assert.equal(await memo.lookup(key), undefined, 'a stored turn is not found');
  memo.remember('other-key', turn);
  assert.deepEqual(memo.stats(), { reused: 0, remembered: 0 });
  await memo.commit();
  const { rows } = await db.query('SELECT key, hits FROM memory.semantic_turns');
  assert.deepEqual(rows, [{ key, hits: 0 }], 'nothing written, and the stored turn was not even touched');
});

test('a database that fails makes a lookup a miss and a commit a warning, never a failed step', async () => {
  const { db, key } = await keptTurn();
  const { log, lines } = capturedLogger();
  const memo = createTurnCache(await downDb(db), { reuse: true, log }).forStep(scope, 'reviewer');
  assert.equal(await memo.lookup(key), undefined);
  memo.remember(key, turn);
  await memo.commit();
  assert.deepEqual(memo.stats(), { reused: 0, remembered: 0 });
  assert.deepEqual(
    lines.map((l) => [l.level, l.agent, l.msg, typeof l.err]),
    [
      [40, 'reviewer', 'memory lookup failed: asking the model', 'object'],
      [40, 'reviewer', 'memory could not keep the step’s model turns: a later run asks the model again', 'object'],
    ],
  );
});

test('keeping a turn again keeps the first reply and refreshes when it was last used, so a turn in use is not aged out', async () => {
  const { db, cache, key } = await keptTurn();
  await db.query(`UPDATE memory.semantic_turns SET used_at = now() - interval '40 days'`);
  const memo = cache.forStep(scope, 'reviewer');
  memo.remember(key, { ...turn, inputTokens: 1 });
  await memo.commit();
  const { rows } = await db.query(`SELECT used_at > now() - interval '1 hour' AS fresh, input_tokens FROM memory.semantic_turns`);
  assert.deepEqual(rows, [{ fresh: true, input_tokens: 120 }]);
});
