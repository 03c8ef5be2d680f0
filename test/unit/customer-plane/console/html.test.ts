import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeText, html, path, SafeHtml } from '../../../../customer-plane/console/html.ts';

test('every interpolated string is text: markup characters, quotes and backticks are escaped', () => {
  const probe = `<script>alert(1)</script><img src=x onerror="alert('2')">\`&amp;`;
  const out = html`<p title="${probe}">${probe}</p>`.toString();
  assert.equal(
    out,
    '<p title="&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(&#39;2&#39;)&quot;&gt;&#96;&amp;amp;">' +
      '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(&#39;2&#39;)&quot;&gt;&#96;&amp;amp;</p>',
  );
  assert.equal(out.match(/</g)!.length, 2, 'only the template’s own two tags');
});

test('a value cannot leave its quoted attribute, whichever quote the template used', () => {
  for (const attack of [`" onmouseover="alert(1)`, `' onmouseover='alert(1)`]) {
    const out = html`<a title="${attack}" data-x='${attack}'>x</a>`.toString();
    assert.doesNotMatch(out, /onmouseover=["']/, attack);
  }
});

test('nested html results stay markup; arrays join; null, undefined and false render nothing; numbers are text', () => {
  const items = ['a<b', 'c'];
  const out = html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>${null}${undefined}${false}${0}${-1.5}`;
  assert.equal(out.toString(), '<ul><li>a&lt;b</li><li>c</li></ul>0-1.5');
});

test('an object that is not html is a template bug, refused instead of printed', () => {
  assert.throws(() => html`${{ toString: () => '<b>' } as unknown as string}`, {
    name: 'TypeError',
    message: 'html: cannot interpolate a object',
  });
});

test('SafeHtml cannot be made from a string outside the template', () => {
  const Forge = SafeHtml as unknown as new (key: unknown, text: string) => SafeHtml;
  const refused = { name: 'TypeError', message: 'SafeHtml is made by the html template only' };
  assert.throws(() => new Forge(Symbol('SafeHtml'), '<script>alert(1)</script>'), refused);
  assert.throws(() => new Forge(undefined, '<b>'), refused);
});

test('hidden characters are shown, not applied: bidi overrides and isolates, zero-width characters, C0 and C1 controls, BOM', () => {
  const trojan = 'if (isAdmin\u202e) {\u2066 // \u2069\u200b\u0000\u001b[31m\u0085\ufeff';
  assert.equal(escapeText(trojan), 'if (isAdmin⟨U+202E⟩) {⟨U+2066⟩ // ⟨U+2069⟩⟨U+200B⟩⟨U+0000⟩⟨U+001B⟩[31m⟨U+0085⟩⟨U+FEFF⟩');
  assert.equal(escapeText('tab\tnew\nline\r\n'), 'tab\tnew\nline\r\n', 'layout whitespace stays');
  assert.equal(escapeText('naïve 日本語 😀'), 'naïve 日本語 😀', 'ordinary text is untouched');
});

test('hidden characters: each range is hidden to its ends, and the characters just outside it are shown as they are', () => {
  const hidden = [0x1f, 0x7f, 0x9f, 0x061c, 0x200b, 0x200f, 0x202a, 0x202e, 0x2060, 0x2064, 0x2066, 0x2069, 0xfeff];
  for (const c of hidden) assert.equal(escapeText(String.fromCodePoint(c)), `⟨U+${c.toString(16).toUpperCase().padStart(4, '0')}⟩`);
  const shown = [0x20, 0x7e, 0xa0, 0x061b, 0x061d, 0x200a, 0x2010, 0x2029, 0x202f, 0x205f, 0x206a, 0xfefe, 0xff01];
  for (const c of shown) assert.equal(escapeText(String.fromCodePoint(c)), String.fromCodePoint(c), c.toString(16));
});

test('path() percent-encodes every value segment', () => {
  assert.equal(path('/runs', '01ABC'), '/runs/01ABC');
  assert.equal(path('/approvals', '../x?y#z', 'decision'), '/approvals/..%2Fx%3Fy%23z/decision');
  assert.equal(path('/runs', '/etc/passwd'), '/runs/%2Fetc%2Fpasswd', 'a value starting with / stays one segment');
});
