import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forget } from '../../../customer-plane/memory/forget.ts';
import { failDeletesFrom, rememberRun, rememberStanding, rowsOf, rowsWithout, tenantDatabase } from '../../support/tenant-data.ts';

/**
 * `forget` against a real Postgres: what `npm run memory -- forget` deletes, row by row. Two repositories
 * (one alias the prefix of the other) in two environments, and the agents' counts: the test knows every
 * row, so it can say exactly which went and which stayed, and what the counts reported.
 */

const CANARY = {
  sampleSandbox: 'cnr-sample-sandbox',
  sampleProduction: 'cnr-sample-production',
  samplesSandbox: 'cnr-samples-sandbox',
  otherProduction: 'cnr-other-production',
};

async function seeded(t: Parameters<typeof tenantDatabase>[0]) {
  const db = await tenantDatabase(t);
  await rememberRun(db, { repo: 'sample', environment: 'sandbox', canary: CANARY.sampleSandbox });
  await rememberRun(db, { repo: 'sample', environment: 'production', canary: CANARY.sampleProduction });
  await rememberRun(db, { repo: 'samples', environment: 'sandbox', canary: CANARY.samplesSandbox });
  await rememberRun(db, { repo: 'other', environment: 'production', canary: CANARY.otherProduction });
  await rememberStanding(db, 'sandbox');
  await rememberStanding(db, 'production');
  return { db, before: await rowsOf(db, ['memory']) };
}

test('forgetting a repository deletes its rows from every memory table in every environment, reports each table’s count, and keeps other repositories’ rows and the agents’ counts', async (t) => {
  const { db, before } = await seeded(t);
  assert.equal(Object.keys(before).length, 7, 'every table of the memory schema is looked at');

  const gone = await forget(db, { repo: 'sample' });
  assert.deepEqual(gone, {
    working: 2,
    episodes: 2,
    semantic_files: 4,
    semantic_turns: 2,
    procedures: 2,
    standing_events: 2,
    standing: 0,
  });
  const after = await rowsOf(db, ['memory']);
  assert.deepEqual(after, rowsWithout(before, [CANARY.sampleSandbox, CANARY.sampleProduction]), 'exactly the repository’s rows are gone');
  for (const kept of [CANARY.samplesSandbox, CANARY.otherProduction])
    for (const [table, rows] of Object.entries(after).filter(([table]) => table !== 'memory.standing'))
      assert.ok(
        rows.some((r) => r.includes(kept)),
        `${table} keeps the memory of another repository: ${kept}`,
      );
  assert.equal(after['memory.standing'].length, 4, 'the agents’ counts, which hold no repository data, are kept');

  assert.deepEqual(
    Object.values(await forget(db, { repo: 'sample' })),
    [0, 0, 0, 0, 0, 0, 0],
    'forgetting it again finds nothing and says so',
  );
});

test('forgetting everything empties every memory table, the agents’ standing included, and reports each table’s count', async (t) => {
  const { db } = await seeded(t);
  const gone = await forget(db, { all: true });
  assert.deepEqual(gone, {
    working: 4,
    episodes: 4,
    semantic_files: 8,
    semantic_turns: 4,
    procedures: 4,
    standing_events: 6,
    standing: 4,
  });
  const after = await rowsOf(db, ['memory']);
  assert.deepEqual(
    Object.entries(after).filter(([, rows]) => rows.length),
    [],
    'no row left in any memory table',
  );
});

test('a request that names no repository, an empty one, or both a repository and --all is refused with invalid_forget_request and deletes nothing', async (t) => {
  const { db, before } = await seeded(t);
  const refusals: Array<[Parameters<typeof forget>[1], RegExp]> = [
    [{}, /name a repository \(--repo alias\) or give --all/],
    [{ all: false }, /name a repository/],
    [{ repo: '' }, /name a repository/],
    [{ repo: '', all: false }, /name a repository/],
    [{ repo: 'sample', all: true }, /give either a repository or --all, not both/],
    [{ repo: '', all: true }, /not both/],
  ];
  for (const [req, message] of refusals)
    await assert.rejects(forget(db, req), { code: 'invalid_forget_request', message }, JSON.stringify(req));
  assert.deepEqual(await rowsOf(db, ['memory']), before, 'nothing deleted by a refused request');
});

test('forgetting is one transaction: when the last table’s delete fails, the tables deleted before it keep every row', async (t) => {
  const { db, before } = await seeded(t);
  await failDeletesFrom(db, 'memory.standing_events');
  await assert.rejects(forget(db, { repo: 'sample' }), /delete refused \(test\)/);
  assert.deepEqual(await rowsOf(db, ['memory']), before, 'nothing deleted');
});
