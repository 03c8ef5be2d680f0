import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMasker } from '../../../../customer-plane/secrets/masker.ts';
import { createSecretMasking } from '../../../../customer-plane/secrets/masking.ts';

const SECRET = 'p@ss/word+"quoted"\\end';
const M = '[masked:TOKEN]';

test('every form of a secret is masked: as is, JSON-escaped, base64 and base64url, hex in both cases, URL-encoded', () => {
  const m = createMasker();
  m.add('TOKEN', SECRET);
  const b = Buffer.from(SECRET);
  const forms = [
    SECRET,
    JSON.stringify(SECRET).slice(1, -1),
    b.toString('base64'),
    b.toString('base64').replace(/=+$/, ''),
    b.toString('base64url'),
    b.toString('hex'),
    b.toString('hex').toUpperCase(),
    encodeURIComponent(SECRET),
    encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
  ];
  for (const f of forms) {
    const masked = m.mask(`before ${f} after`);
    assert.ok(!masked.includes(f), `form ${f} is gone`);
    assert.match(masked, /^before \[masked:TOKEN\]=* after$/, `form ${f}`);
  }
});

test('a secret inside a longer base64 text (Authorization: Basic user:secret) is masked at each of the three byte alignments', () => {
  const m = createMasker();
  m.add('TOKEN', 'correct-horse-battery');
  for (const user of ['u', 'us', 'usr', 'user']) {
    const blob = Buffer.from(`${user}:correct-horse-battery`).toString('base64');
    const masked = m.mask(`Authorization: Basic ${blob}`);
    assert.ok(masked.includes(M), `user ${user}: ${masked}`);
    // What is left of the blob encodes the user name and at most one byte of the secret on each side.
    const left = masked.replace('Authorization: Basic ', '').replace(M, '');
    assert.ok(left.length <= Math.ceil(((user.length + 2) * 4) / 3) + 4, `user ${user}: only the edges remain (${left})`);
  }
});

test('longer forms win over shorter ones, two secrets are masked by their own names, and ordinary text is left alone', () => {
  const m = createMasker();
  m.add('SHORT', 'abcdefgh');
  m.add('LONG', 'abcdefgh-and-more');
  assert.equal(m.mask('x abcdefgh-and-more y abcdefgh z'), 'x [masked:LONG] y [masked:SHORT] z');
  assert.equal(m.mask('nothing to see here'), 'nothing to see here');
  assert.deepEqual(m.names().sort(), ['LONG', 'SHORT']);
});

test('a text cut in the middle of a secret has the fragment masked; an uncut text keeps its ending', () => {
  const m = createMasker();
  m.add('TOKEN', 'sk-live-0123456789abcdef');
  assert.equal(m.maskCut('output... sk-live-0123'), `output... ${M}`);
  assert.equal(m.maskCut(`hex: ${Buffer.from('sk-live-01').toString('hex')}`), `hex: ${M}`, 'a cut encoded form too');
  assert.equal(m.mask('output... sk-live-0123'), 'output... sk-live-0123', 'only a cut text is treated so');
  assert.equal(m.maskCut('plain ending'), 'plain ending');
});

test('maskDeep masks strings and keys at any depth and does not change its input', () => {
  const m = createMasker();
  m.add('TOKEN', SECRET);
  const input = { a: [`x${SECRET}`, 1, null, { [SECRET]: { deep: SECRET } }], b: true };
  const frozen = JSON.stringify(input);
  const out = m.maskDeep(input);
  assert.deepEqual(out, { a: [`x${M}`, 1, null, { [M]: { deep: M } }], b: true });
  assert.equal(JSON.stringify(input), frozen);
  assert.equal(m.maskDeep('no secret'), 'no secret');
});

test('clear forgets every value; a masker without secrets returns text unchanged', () => {
  const m = createMasker();
  m.add('TOKEN', SECRET);
  m.clear();
  assert.equal(m.mask(SECRET), SECRET);
  assert.deepEqual(m.names(), []);
});

test('log lines are masked only while the run is tracked, and stay valid JSON even for a value that ends in a backslash', () => {
  const masking = createSecretMasking();
  const m = createMasker();
  m.add('TOKEN', SECRET);
  const line = `${JSON.stringify({ msg: 'failed', err: { message: `bad ${SECRET}` }, raw: SECRET })}\n`;
  assert.equal(masking.maskJsonLine(line), line, 'not tracked: untouched');
  const untrack = masking.track(m);
  const masked = masking.maskJsonLine(line);
  assert.deepEqual(JSON.parse(masked), { msg: 'failed', err: { message: `bad ${M}` }, raw: M });
  const slash = createMasker();
  slash.add('SLASH', 'ends-with-backslash\\');
  const untrack2 = masking.track(slash);
  const line2 = `${JSON.stringify({ v: 'ends-with-backslash\\"quote' })}\n`;
  assert.deepEqual(JSON.parse(masking.maskJsonLine(line2)), { v: '[masked:SLASH]"quote' });
  untrack();
  untrack2();
  assert.equal(masking.maskJsonLine(line), line, 'untracked again: the values are no longer held');
});
