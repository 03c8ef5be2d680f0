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

test('a secret with a quote or backslash is masked in JSON text nested in a JSON string (an earlier step’s output inside its envelope)', () => {
  const m = createMasker();
  m.add('TOKEN', SECRET);
  const envelope = JSON.stringify({ kind: 'untrusted_data', content: JSON.stringify({ finding: `key is ${SECRET} here` }) });
  const masked = m.mask(envelope);
  const twice = JSON.stringify(JSON.stringify(SECRET).slice(1, -1)).slice(1, -1);
  assert.ok(envelope.includes(twice), 'the secret is escaped twice in the envelope');
  assert.ok(!masked.includes(twice), 'the twice-escaped form is gone');
  assert.deepEqual(JSON.parse(JSON.parse(masked).content as string), { finding: `key is ${M} here` });
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

// A value whose base64 has `+`, `/` and padding, at every alignment: where base64 and base64url differ.
const SLASHY = 'k?>~secret??>>';

test('base64 with padding is masked up to its padding, and base64url separately, when the two alphabets differ', () => {
  const m = createMasker();
  m.add('TOKEN', SLASHY);
  const b64 = Buffer.from(SLASHY).toString('base64');
  assert.match(b64, /[+/].*=$/, 'the case this test is about');
  assert.equal(m.mask(`x ${b64} y`), 'x [masked:TOKEN]= y');
  assert.equal(m.mask(`x ${Buffer.from(SLASHY).toString('base64url')} y`), 'x [masked:TOKEN] y');
  const two = createMasker();
  two.add('TOKEN', 'k?>~secret??>'); // 13 bytes: two padding characters
  assert.equal(two.mask(`x ${Buffer.from('k?>~secret??>').toString('base64')} y`), 'x [masked:TOKEN]== y');
});

test('URL-encoded forms: %XX in either case and form encoding (space as +) are masked whole', () => {
  const m = createMasker();
  const value = 'pass word/with?chars';
  m.add('TOKEN', value);
  const url = encodeURIComponent(value);
  assert.equal(m.mask(`q=${url}&x`), 'q=[masked:TOKEN]&x');
  assert.equal(m.mask(`q=${url.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())}&x`), 'q=[masked:TOKEN]&x');
  assert.equal(m.mask(`q=${url.replace(/%20/g, '+')}&x`), 'q=[masked:TOKEN]&x', 'application/x-www-form-urlencoded');
});

test('a form of four characters is masked; shorter ones are not masked on their own, so ordinary text is not eaten', () => {
  const m = createMasker();
  m.add('TOKEN', 'abc'); // base64 YWJj: four characters
  assert.equal(m.mask('id YWJj end'), 'id [masked:TOKEN] end');
  const tiny = createMasker();
  tiny.add('TOKEN', 'a'); // base64 YQ, hex 61: too short to be told from other text
  assert.equal(tiny.mask('YQ 61 end'), 'YQ 61 end');
  assert.equal(tiny.mask('a'), '[masked:TOKEN]', 'the raw value always is');
});

test('inside a longer base64 or base64url text the secret is masked wherever it sits: at the end, in the middle, at each alignment', () => {
  for (const value of [SLASHY, 'eight-by']) {
    const m = createMasker();
    m.add('TOKEN', value);
    for (const user of ['u:', 'us:', 'usr:']) {
      for (const [encoding, after] of [
        ['base64', ''],
        ['base64', '@host.example'],
        ['base64url', '@host.example'],
      ] as const) {
        const blob = Buffer.from(`${user}${value}${after}`).toString(encoding);
        const masked = m.mask(`Basic ${blob}`);
        assert.ok(masked.includes(M), `${value} after ${user} in ${encoding}, followed by ${JSON.stringify(after)}: ${masked}`);
        // Left around the mask: the encoding of the text before and after, plus at most one character on each side.
        const left = masked.replace('Basic ', '').replace(M, '');
        const around = Buffer.from(user).toString(encoding).length + Buffer.from(after).toString(encoding).length;
        assert.ok(left.length <= around + 4, `${value} after ${user} in ${encoding}: only the edges remain (${left})`);
      }
    }
  }
});

test('a masker without secrets, or with an empty one, changes no text (a program printing "undefined" included)', () => {
  const m = createMasker();
  assert.equal(m.mask('TypeError: x is undefined'), 'TypeError: x is undefined');
  m.add('EMPTY', '');
  assert.equal(m.mask('TypeError: x is undefined'), 'TypeError: x is undefined');
  assert.deepEqual(m.names(), [], 'an empty value is no secret');
});

test('a text cut three characters into a secret has them masked', () => {
  const m = createMasker();
  m.add('TOKEN', 'sk-live-0123456789abcdef');
  assert.equal(m.maskCut('output... sk-'), `output... ${M}`);
  assert.equal(m.maskCut('output... sk'), 'output... sk', 'two characters are not told from ordinary text');
});

test('maskDeep masks a key that holds the secret even when its value does not, and stops at cycles instead of overflowing', () => {
  const m = createMasker();
  m.add('TOKEN', SECRET);
  assert.deepEqual(m.maskDeep({ [SECRET]: 1, ok: 2 }), { [M]: 1, ok: 2 });
  const cyclic: Record<string, unknown> = { note: `a ${SECRET}` };
  cyclic.self = cyclic;
  const out = m.maskDeep(cyclic) as Record<string, unknown>;
  assert.equal(out.note, `a ${M}`);
  const list: unknown[] = [`b ${SECRET}`];
  list.push(list);
  assert.equal((m.maskDeep(list) as unknown[])[0], `b ${M}`, 'a cycle through an array too');
});

test('the process-wide masking masks plain text with every tracked run’s secrets, and a log line that is not JSON as text', () => {
  const masking = createSecretMasking();
  const a = createMasker();
  a.add('A', 'alpha-secret-value');
  const b = createMasker();
  b.add('B', 'bravo-secret-value');
  const untrackA = masking.track(a);
  masking.track(b);
  assert.equal(masking.mask('alpha-secret-value and bravo-secret-value'), '[masked:A] and [masked:B]');
  assert.equal(masking.maskJsonLine('not json: alpha-secret-value\n'), 'not json: [masked:A]\n');
  untrackA();
  assert.equal(masking.mask('alpha-secret-value'), 'alpha-secret-value');
});

test('a log line the raw form would break (a value ending in a backslash, met before an escaped quote) stays valid JSON with its text', () => {
  const masking = createSecretMasking();
  const m = createMasker();
  m.add('SLASH', 'ends-with-backslash\\');
  masking.track(m);
  // The message holds `ends-with-backslash"`, not the secret; in the JSON text that reads `ends-with-backslash\"`.
  const line = `${JSON.stringify({ msg: 'ends-with-backslash" is not it', n: 1 })}\n`;
  const out = masking.maskJsonLine(line);
  assert.deepEqual(JSON.parse(out), { msg: 'ends-with-backslash" is not it', n: 1 });
  assert.ok(out.endsWith('}\n'), 'still one line');
});

test('maskDeep walks 64 levels of objects or arrays and replaces what lies below with a marker; a structure 100,000 levels deep is no crash', () => {
  const m = createMasker();
  m.add('TOKEN', SECRET);
  const wrap = (levels: number) => {
    let v: unknown = { v: SECRET };
    for (let i = 0; i < levels; i++) v = { n: v };
    return v;
  };
  const down = (v: unknown, levels: number) => {
    for (let i = 0; i < levels; i++) v = (v as { n: unknown }).n;
    return v;
  };
  // The innermost object 64 levels down is still walked and its secret masked ...
  assert.deepEqual(down(m.maskDeep(wrap(64)), 64), { v: M });
  // ... one level further it is replaced whole, never passed on unread.
  assert.equal(down(m.maskDeep(wrap(65)), 65), '[masked: nested too deep to check]');
  // A walk without a limit would overflow the stack here; the limit makes it a marker at level 65.
  assert.equal(down(m.maskDeep(wrap(100_000)), 65), '[masked: nested too deep to check]');
  // Arrays count as levels too.
  let arrays: unknown = [SECRET];
  for (let i = 0; i < 100_000; i++) arrays = [arrays];
  let out = m.maskDeep(arrays);
  for (let i = 0; i < 65; i++) out = (out as unknown[])[0];
  assert.equal(out, '[masked: nested too deep to check]');
});

test('maskDeep fails closed past its depth limit and walks shared or cyclic objects once', () => {
  const m = createMasker();
  m.add('TOKEN', SECRET);
  // A secret nested deeper than the walk goes is replaced, never passed on unread.
  let nested: unknown = { v: SECRET };
  for (let i = 0; i < 100; i++) nested = { n: nested };
  assert.doesNotMatch(JSON.stringify(m.maskDeep(nested)), new RegExp(SECRET));
  // Forty levels of two references to one object: walked once per object, not 2^40 times.
  let shared: Record<string, unknown> = { v: SECRET };
  for (let i = 0; i < 40; i++) shared = { a: shared, b: shared };
  const out = m.maskDeep(shared) as Record<string, unknown>;
  assert.equal(out.a, out.b);
  const cyclic: Record<string, unknown> = { v: SECRET };
  cyclic.self = cyclic;
  const masked = m.maskDeep(cyclic) as Record<string, unknown>;
  assert.equal(masked.v, M);
  assert.equal(masked.self, '[masked: cyclic reference]');
});

test('maskDeep keeps the key order of what it masks, and hands back untouched what holds no secret', () => {
  const m = createMasker();
  m.add('TOKEN', SECRET);
  // Events and logs are read in the order they were written: a masked field stays where it was.
  const out = m.maskDeep({ first: 1, token: SECRET, last: 2 });
  assert.deepEqual(Object.keys(out), ['first', 'token', 'last']);
  assert.equal(out.token, M);
  // Masking runs on every event a run emits: a part with no secret in it is the same object, not a copy.
  const clean = { list: [1, 'two', { three: 3 }], nested: { four: 'four' } };
  const masked = m.maskDeep({ clean, dirty: [SECRET] });
  assert.equal(masked.clean, clean);
  assert.equal(masked.clean.list, clean.list);
  assert.deepEqual(masked.dirty, [M]);
});

test('when two secrets share a value, its mask keeps naming the secret added first', () => {
  const m = createMasker();
  m.add('FIRST', 'shared-value-123');
  m.add('SECOND', 'shared-value-123');
  // The name a log reader saw yesterday does not change because another secret later had the same value.
  assert.equal(m.mask('x shared-value-123 y'), 'x [masked:FIRST] y');
  assert.deepEqual(m.names().sort(), ['FIRST', 'SECOND']);
});
