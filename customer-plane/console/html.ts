/**
 * The console's only way to make HTML: the `html` tagged template. Every interpolated value is
 * escaped as text unless it is itself the result of `html` — so repository content (file names,
 * findings, diffs, argv a model chose) can only ever become text, never markup. There is no "raw"
 * escape hatch: markup comes from template literals written in this repository, nowhere else.
 *
 * Templates quote every attribute value ("…"): escaping `"` and `'` then keeps a value inside its
 * attribute. Values never go into `<script>`, `<style>`, event handlers or URLs' schemes: the console
 * serves no script at all, and links are built from ids with `path` below.
 */
const MINT = Symbol('SafeHtml');

export class SafeHtml {
  readonly #text: string;
  /** Only this module mints SafeHtml: the key is not exported, so no caller can wrap a string. */
  constructor(key: typeof MINT, text: string) {
    if (key !== MINT) throw new TypeError('SafeHtml is made by the html template only');
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
}

export type HtmlValue = SafeHtml | string | number | null | undefined | false | readonly HtmlValue[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/**
 * Characters a person reading a diff or an argv must see rather than have applied: C0 and C1 controls
 * (except tab, newline, carriage return), DEL, and the invisible format characters — bidirectional
 * overrides and isolates, zero-width spaces and joiners, the BOM — with which text can be made to
 * look like something else ("Trojan Source"). They are shown as ⟨U+202E⟩.
 */
function hidden(c: number): boolean {
  if (c < 0x20) return c !== 0x09 && c !== 0x0a && c !== 0x0d;
  return (
    (c >= 0x7f && c <= 0x9f) ||
    c === 0x061c ||
    (c >= 0x200b && c <= 0x200f) ||
    (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2060 && c <= 0x2064) ||
    (c >= 0x2066 && c <= 0x2069) ||
    c === 0xfeff
  );
}

/** Text as HTML: the five markup characters and the backtick escaped, hidden characters made visible. */
export function escapeText(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    out += ENTITIES[ch] ?? (hidden(c) ? `⟨U+${c.toString(16).toUpperCase().padStart(4, '0')}⟩` : ch);
  }
  return out;
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.toString();
  if (value === null || value === undefined || value === false) return '';
  if (typeof value === 'string') return escapeText(value);
  if (typeof value === 'number') return escapeText(String(value));
  if (Array.isArray(value)) return value.map(render).join('');
  // An object here is a template bug ("[object Object]" on a page); say so instead of printing it.
  throw new TypeError(`html: cannot interpolate a ${typeof value}`);
}

/** `html\`<p>${text}</p>\`` — the text escaped, nested `html` results kept as markup. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(MINT, out);
}

/** A same-origin path from fixed segments and values (each percent-encoded): `path('/runs', id)`. */
export function path(...segments: string[]): string {
  return segments.map((s, i) => (i === 0 && s.startsWith('/') ? s : encodeURIComponent(s))).join('/');
}
