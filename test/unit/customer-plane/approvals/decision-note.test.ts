import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decisionNote } from '../../../../customer-plane/approvals/store.ts';

/** A person's note is stored in Postgres text: what Postgres cannot store is refused before the decision is tried. */

test('a decision note with a NUL character or a lone surrogate is refused with a message saying why; ordinary text up to 500 characters is accepted', () => {
  for (const bad of ['ship\u0000it', '\u0000', 'ship \uD800 it']) {
    const parsed = decisionNote.safeParse(bad);
    assert.equal(parsed.success, false, JSON.stringify(bad));
    assert.equal(parsed.error!.issues[0].message, 'must be text without NUL characters');
  }
  for (const good of ['ship it', '', 'déploie 🚀', 'x'.repeat(500)]) assert.equal(decisionNote.safeParse(good).success, true, good);
  assert.equal(decisionNote.safeParse('x'.repeat(501)).success, false);
});
