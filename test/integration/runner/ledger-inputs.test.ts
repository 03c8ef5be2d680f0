import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createRunInputs,
  DEFAULT_INPUTS_TTL_MS,
  InputsError,
  MAX_INPUT_PARAMS,
  MAX_PARAM_CHARS,
  runInputSecretId,
} from '../../../customer-plane/runner/ledger/inputs.ts';
import type { SecretBackend } from '../../../customer-plane/secrets/store.ts';
import type { Db } from '../../../shared/db/pool.ts';
import { ledgerDatabase } from '../../support/ledger.ts';

/** Run inputs straight from the ledger and a secret store: what the `runs inputs` CLI and a runner rely on. */

const T0 = Date.UTC(2026, 11, 2, 9, 0, 0);
const SECRET = 'deploy-token-0123456789';
const DAY = 24 * 3600 * 1000;

/** A secret store in memory that also counts reads: what the ledger put, read and deleted is observable. */
function memoryBackend() {
  const values = new Map<string, string>();
  const reads: string[] = [];
  const backend: SecretBackend = {
    get: async (id) => (reads.push(id), values.get(id)),
    put: async (id, v) => void values.set(id, v),
    delete: async (id) => void values.delete(id),
    list: async (prefix) => [...values.keys()].filter((k) => k.startsWith(prefix)),
  };
  return { backend, values, reads };
}

async function setup(t: Parameters<typeof ledgerDatabase>[0]) {
  const { db } = await ledgerDatabase(t);
  const store = memoryBackend();
  const clock = { now: T0 };
  const inputs = createRunInputs({ db, backend: store.backend, clock: () => clock.now });
  return { db, store, clock, inputs };
}

const rowText = async (db: Db) => JSON.stringify((await db.query('SELECT * FROM runtime.run_inputs')).rows);

test('secret inputs are kept in the secret store under run-inputs/<id>/<NAME>; the ledger holds the parameters, the template and the secret names, never a value', async (t) => {
  const { db, store, inputs } = await setup(t);
  const id = await inputs.create({
    template: 'code-review',
    params: { branch: 'main' },
    secrets: { DEPLOY_TOKEN: SECRET },
    ttlMs: 120_000,
  });
  assert.deepEqual([...store.values], [[`run-inputs/${id}/DEPLOY_TOKEN`, SECRET]]);
  assert.equal(runInputSecretId(id, 'DEPLOY_TOKEN'), `run-inputs/${id}/DEPLOY_TOKEN`);
  assert.ok(!(await rowText(db)).includes(SECRET));
  const rec = await inputs.show(id);
  assert.deepEqual(rec && { ...rec, createdAt: typeof rec.createdAt }, {
    id,
    template: 'code-review',
    params: { branch: 'main' },
    secretNames: ['DEPLOY_TOKEN'],
    createdAt: 'string',
    expiresAt: new Date(T0 + 120_000).toISOString(),
    runId: null,
    discarded: false,
  });
  assert.equal(await inputs.show('01NOSUCHINPUTS'), undefined);
});

test('inputs without a template, parameters or lifetime are usable by any template and expire after a day', async (t) => {
  const { inputs, clock } = await setup(t);
  const id = await inputs.create({});
  const rec = await inputs.show(id);
  assert.deepEqual([rec?.template, rec?.params, rec?.secretNames, rec?.expiresAt], [null, {}, [], new Date(T0 + DAY).toISOString()]);
  assert.equal(DEFAULT_INPUTS_TTL_MS, DAY);
  clock.now = T0 + DAY - 1;
  const claimed = await inputs.claim(id, { runId: 'run-a', template: 'anything' });
  assert.deepEqual(claimed && [claimed.params, claimed.secrets.names], [{}, []]);
});

test('invalid inputs are refused with every problem named (never a value) and nothing is written to the ledger or the store', async (t) => {
  const { db, store, inputs } = await setup(t);
  const tooMany = Object.fromEntries(Array.from({ length: MAX_INPUT_PARAMS + 1 }, (_, i) => [`p${i}`, 'x']));
  const cases: [Parameters<typeof inputs.create>[0], string][] = [
    [{ params: { '1bad': 'v' } }, '"1bad" is not a valid input name (a letter or _, then letters, digits or _)'],
    [{ secrets: { 'bad-name': SECRET } }, '"bad-name" is not a valid input name'],
    [{ params: { ['x'.repeat(100)]: 'v' } }, `"${'x'.repeat(64)}" is not a valid input name`],
    [{ params: { TOKEN: 'v' }, secrets: { TOKEN: SECRET } }, 'an input name is given twice'],
    [{ params: tooMany }, `at most ${MAX_INPUT_PARAMS} parameters`],
    [{ params: { big: 'y'.repeat(MAX_PARAM_CHARS + 1) } }, `parameter big is longer than ${MAX_PARAM_CHARS} characters`],
    [{ params: { nul: 'a\u0000b' } }, 'parameter nul contains a NUL character'],
    [{ secrets: { SHORT: 'short12' } }, 'secret SHORT: a secret value must be at least 8 characters long'],
    [{ ttlMs: 59_999 }, 'the lifetime of inputs is between one minute and 30 days'],
    [{ ttlMs: 30 * DAY + 1 }, 'the lifetime of inputs is between one minute and 30 days'],
    [{ ttlMs: Number.NaN }, 'the lifetime of inputs is between one minute and 30 days'],
  ];
  for (const [given, problem] of cases) {
    await assert.rejects(inputs.create(given), (e: unknown) => {
      assert.ok(e instanceof InputsError);
      assert.equal(e.code, 'inputs_invalid');
      assert.ok(e.message.startsWith('invalid run inputs: '), e.message);
      assert.ok(e.message.includes(problem), `${e.message} should name: ${problem}`);
      assert.ok(!e.message.includes(SECRET) && !e.message.includes('short12'));
      return true;
    });
  }
  // All problems at once, each named, joined for one message.
  await assert.rejects(inputs.create({ params: { nul: '\u0000' }, secrets: { SHORT: 'short12' } }), {
    message: /parameter nul contains a NUL character; secret SHORT: /,
  });
  assert.equal((await db.query('SELECT count(*)::int AS n FROM runtime.run_inputs')).rows[0].n, 0);
  assert.equal(store.values.size, 0);
});

test('the limits themselves are accepted: 32 parameters, 4096 characters, a lifetime of one minute or of 30 days', async (t) => {
  const { inputs } = await setup(t);
  const most = Object.fromEntries(Array.from({ length: MAX_INPUT_PARAMS }, (_, i) => [`p${i}`, 'x']));
  assert.equal(MAX_INPUT_PARAMS, 32);
  assert.equal(MAX_PARAM_CHARS, 4096);
  await inputs.create({ params: most });
  await inputs.create({ params: { big: 'y'.repeat(MAX_PARAM_CHARS) } });
  await inputs.create({ ttlMs: 60_000 });
  await inputs.create({ ttlMs: 30 * DAY });
});

test('inputs are single-use: the first run claims them, the same run gets them again when it resumes, another run or template gets nothing', async (t) => {
  const { store, inputs } = await setup(t);
  const id = await inputs.create({ template: 'code-review', params: { branch: 'main' }, secrets: { DEPLOY_TOKEN: SECRET } });
  assert.equal(await inputs.claim(id, { runId: 'run-a', template: 'diagnose-and-fix' }), undefined);
  const first = await inputs.claim(id, { runId: 'run-a', template: 'code-review' });
  assert.deepEqual(first && [first.params, first.secrets.names], [{ branch: 'main' }, ['DEPLOY_TOKEN']]);
  assert.equal(await first?.secrets.read('DEPLOY_TOKEN'), SECRET);
  assert.equal((await inputs.show(id))?.runId, 'run-a');
  assert.equal(await inputs.claim(id, { runId: 'run-b', template: 'code-review' }), undefined);
  const resumed = await inputs.claim(id, { runId: 'run-a', template: 'code-review' });
  assert.equal(await resumed?.secrets.read('DEPLOY_TOKEN'), SECRET);
  assert.equal(await inputs.claim('01NOSUCHINPUTS', { runId: 'run-a', template: 'code-review' }), undefined);
  // A name the inputs do not list is not looked up, even if the store holds something there.
  store.values.set(runInputSecretId(id, 'OTHER'), 'planted-value-123');
  store.reads.length = 0;
  assert.equal(await resumed?.secrets.read('OTHER'), undefined);
  assert.deepEqual(store.reads, []);
});

test('inputs expire unused: an expired id is refused to a new run, while the run that claimed them keeps them when it resumes', async (t) => {
  const { inputs, clock } = await setup(t);
  const unused = await inputs.create({ ttlMs: 60_000 });
  const used = await inputs.create({ ttlMs: 60_000, secrets: { KEY: SECRET } });
  assert.ok(await inputs.claim(used, { runId: 'run-a', template: 't' }));
  clock.now = T0 + 60_000;
  assert.equal(await inputs.claim(unused, { runId: 'run-b', template: 't' }), undefined);
  const resumed = await inputs.claim(used, { runId: 'run-a', template: 't' });
  assert.equal(await resumed?.secrets.read('KEY'), SECRET);
});

test('when a run ends its inputs’ secret values are deleted from the store, the names stay as a record, and the inputs cannot be claimed again', async (t) => {
  const { store, inputs } = await setup(t);
  const mine = await inputs.create({ secrets: { A_TOKEN: SECRET, B_TOKEN: `${SECRET}-b` }, params: { p: 'v' } });
  const also = await inputs.create({ secrets: { C_TOKEN: SECRET } });
  const other = await inputs.create({ secrets: { D_TOKEN: SECRET } });
  await inputs.claim(mine, { runId: 'run-a', template: 't' });
  await inputs.claim(also, { runId: 'run-a', template: 't' });
  await inputs.claim(other, { runId: 'run-b', template: 't' });
  await inputs.discardFor('run-a');
  assert.deepEqual([...store.values.keys()], [runInputSecretId(other, 'D_TOKEN')]);
  const rec = await inputs.show(mine);
  assert.deepEqual([rec?.discarded, rec?.secretNames, rec?.params], [true, ['A_TOKEN', 'B_TOKEN'], { p: 'v' }]);
  assert.equal((await inputs.show(also))?.discarded, true);
  assert.equal((await inputs.show(other))?.discarded, false);
  assert.equal(await inputs.claim(mine, { runId: 'run-a', template: 't' }), undefined);
  // Discarding again finds nothing left to delete.
  store.values.set(runInputSecretId(mine, 'A_TOKEN'), 'restored-after');
  await inputs.discardFor('run-a');
  assert.equal(store.values.get(runInputSecretId(mine, 'A_TOKEN')), 'restored-after');
});

test('inputs that expired unused have their secret values deleted and are counted; claimed or still-valid inputs are kept', async (t) => {
  const { store, inputs, clock } = await setup(t);
  const expired = await inputs.create({ ttlMs: 60_000, secrets: { OLD_TOKEN: SECRET } });
  const expiredNoSecrets = await inputs.create({ ttlMs: 60_000 });
  const claimed = await inputs.create({ ttlMs: 60_000, secrets: { RUN_TOKEN: SECRET } });
  const valid = await inputs.create({ ttlMs: 60_001, secrets: { NEW_TOKEN: SECRET } });
  await inputs.claim(claimed, { runId: 'run-a', template: 't' });
  clock.now = T0 + 59_999;
  assert.equal(await inputs.discardExpired(), 0);
  clock.now = T0 + 60_000;
  assert.equal(await inputs.discardExpired(), 2);
  assert.deepEqual([...store.values.keys()].sort(), [runInputSecretId(claimed, 'RUN_TOKEN'), runInputSecretId(valid, 'NEW_TOKEN')].sort());
  assert.equal((await inputs.show(expired))?.discarded, true);
  assert.equal((await inputs.show(expiredNoSecrets))?.discarded, true);
  assert.equal((await inputs.show(claimed))?.discarded, false);
  assert.equal((await inputs.show(valid))?.discarded, false);
  assert.equal(await inputs.discardExpired(), 0);
});
