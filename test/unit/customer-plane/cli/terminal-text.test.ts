import { test } from 'node:test';
import assert from 'node:assert/strict';
import { visible } from '../../../../customer-plane/cli/terminal-text.ts';

const hex = (c: number) => `\\x${c.toString(16).padStart(2, '0')}`;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const C0 = range(0x00, 0x1f);
const C1 = range(0x80, 0x9f);
const BIDI = [...range(0x202a, 0x202e), ...range(0x2066, 0x2069)];

test('every C0 control, DEL and every C1 control is shown as \\xNN, never sent to the terminal', () => {
  for (const c of [...C0, 0x7f, ...C1]) {
    const ch = String.fromCodePoint(c);
    assert.equal(visible(`a${ch}b`), `a${hex(c)}b`, `U+${c.toString(16)}`);
  }
});

test('terminal escape sequences arrive as readable text: clear screen, window title, CSI in one character, cursor moves', () => {
  assert.equal(visible('evil \u001b[2J\u001b]0;pwned\u0007 text'), 'evil \\x1b[2J\\x1b]0;pwned\\x07 text');
  assert.equal(visible('\u009b2J\u009b31m'), '\\x9b2J\\x9b31m', 'U+009B is CSI to a terminal, as ESC [ is');
  assert.equal(visible('\u001bP+q\u001b\\'), '\\x1bP+q\\x1b\\');
  assert.equal(visible('ok\u001b[1A\u001b[2K'), 'ok\\x1b[1A\\x1b[2K');
});

test('text that would overwrite what was printed (CR, backspace) or ring the bell is shown, so the line reads as it is', () => {
  assert.equal(visible('rm -rf ~\rls'), 'rm -rf ~\\x0dls');
  assert.equal(visible('safe\b\b\b\bevil'), 'safe\\x08\\x08\\x08\\x08evil');
  assert.equal(visible('ding\u0007'), 'ding\\x07');
});

test('bidi overrides and isolates are shown as \\uNNNN, so a line cannot be displayed in an order other than its own', () => {
  for (const c of BIDI) assert.equal(visible(`a${String.fromCodePoint(c)}b`), `a\\u${c.toString(16)}b`);
  // The Trojan Source comment: an RLO and an isolate make `return` look commented out.
  assert.equal(
    visible('/*\u202e } \u2066if (isAdmin)\u2069 \u2066 begin admins only */'),
    '/*\\u202e } \\u2066if (isAdmin)\\u2069 \\u2066 begin admins only */',
  );
});

test('a one-line field shows line breaks and tabs, so it stays one line', () => {
  assert.equal(visible('line one\nline two\ttab'), 'line one\\x0aline two\\x09tab');
  assert.equal(visible('a\r\nb\u000b\u000cc'), 'a\\x0d\\x0ab\\x0b\\x0cc');
});

test('multi-line text (a diff) keeps its newlines and tabs and still shows every other control', () => {
  assert.equal(visible('-a\n+\tb\n', true), '-a\n+\tb\n');
  assert.equal(visible('+x\r\n+\u001b]0;t\u0007y\u009b\u202e\n', true), '+x\\x0d\n+\\x1b]0;t\\x07y\\x9b\\u202e\n');
  for (const c of [...C0, 0x7f, ...C1]) {
    if (c === 0x0a || c === 0x09) continue;
    assert.equal(visible(String.fromCodePoint(c), true), hex(c));
  }
});

test('ordinary text is unchanged: letters of any script, right-to-left words, punctuation, emoji and their joiners', () => {
  for (const text of [
    '',
    ' !"#$%&\'()*+,-./0123456789:;<=>?@AZ[\\]^_`az{|}~',
    'héllo wörld, ça va — naïve café… 20\u202f€',
    '\u00a0non-breaking, ¡¿ÿ',
    '日本語のテキスト, 한국어, Ελληνικά, русский',
    'שלום עולם مرحبا بالعالم',
    '👍 🇺🇸 👨‍👩‍👧 🏳️‍🌈 e\u0301',
    '\u2010\u2019\u2026\u2030 \u2070\u20ac',
    '\\x1b is four characters here',
  ])
    assert.equal(visible(text), text);
});
