/**
 * Masking: every secret value a run may meet, in the forms it shows up in — as is, JSON-escaped,
 * base64 and base64url (also inside a longer base64 text, at each of the three byte alignments, as
 * in `Authorization: Basic …`), hex in both cases, and URL-encoded — is replaced by `[masked:NAME]`.
 * Longer forms are replaced first, so a form that contains another is masked whole. One masker per
 * run holds the values of that run's secrets for the run's duration and is cleared when it ends.
 */
export const maskFor = (name: string) => `[masked:${name}]`;

/** Forms shorter than this are not masked on their own (the raw value always is). */
const MIN_FORM = 4;
/** How deep maskDeep walks; below it, a value is replaced by TOO_DEEP rather than passed on unread. */
const MAX_DEPTH = 64;
const TOO_DEEP = '[masked: nested too deep to check]';
const CYCLE = '[masked: cyclic reference]';
/** Below this many bytes the base64 alignment cores would be too short to be distinctive. */
const MIN_CORE_BYTES = 8;
/** A cut text that ends in at least this many characters of a secret's form has them masked too. */
const MIN_TAIL = 3;

/** The forms of one value that are masked. */
export function secretForms(value: string): string[] {
  const forms = new Set<string>([value]);
  const add = (f: string) => {
    if (f.length >= MIN_FORM) forms.add(f);
  };
  const escaped = JSON.stringify(value).slice(1, -1);
  add(escaped);
  // JSON inside JSON: an earlier step's output travels as JSON text inside its envelope's string, so a
  // quote or backslash in a secret is escaped twice in the request that leaves.
  add(JSON.stringify(escaped).slice(1, -1));
  const bytes = Buffer.from(value, 'utf8');
  add(bytes.toString('base64').replace(/=+$/, ''));
  add(bytes.toString('base64url'));
  add(bytes.toString('hex'));
  add(bytes.toString('hex').toUpperCase());
  const url = encodeURIComponent(value);
  add(url);
  add(url.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()));
  add(url.replace(/%20/g, '+'));
  if (bytes.length >= MIN_CORE_BYTES) {
    // Inside a longer base64 text the value starts at byte offset 0, 1 or 2 of a 3-byte group: the
    // characters that encode only the value's own bits are the same whatever surrounds it.
    for (let k = 0; k < 3; k++) {
      const enc = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64');
      const core = enc.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + bytes.length)) / 6));
      add(core);
      add(core.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return [...forms];
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export type Masker = {
  /** Adds a secret: its value and every form of it are masked from now on. */
  add(name: string, value: string): void;
  /** The text with every form of every secret replaced by `[masked:NAME]`. */
  mask(text: string): string;
  /** For a text that was cut short: also masks a trailing fragment of a form (a secret cut in half). */
  maskCut(text: string): string;
  /** Strings (and keys) anywhere in a JSON-like value, masked; the value itself is not changed. */
  maskDeep<T>(value: T): T;
  /** The names of the secrets this masker holds. */
  names(): string[];
  /** Forgets every value. */
  clear(): void;
};

export function createMasker(): Masker {
  /** form → name, longest forms first once compiled. */
  let forms = new Map<string, string>();
  let names = new Set<string>();
  let compiled: RegExp | undefined;
  let dirty = false;
  const regex = () => {
    if (dirty) {
      const sorted = [...forms.keys()].sort((a, b) => b.length - a.length);
      compiled = sorted.length ? new RegExp(sorted.map(escapeRe).join('|'), 'g') : undefined;
      dirty = false;
    }
    return compiled;
  };
  const mask = (text: string): string => {
    const re = regex();
    if (!re || text.length === 0) return text;
    // The pattern is built from the forms' keys, so every match is one of them.
    return text.replace(re, (m) => maskFor(forms.get(m)!));
  };
  const maskCut = (text: string): string => {
    const masked = mask(text);
    // Only the end can hold a cut form: look at a short tail, not the whole text, for every form.
    let longest = 0;
    for (const form of forms.keys()) longest = Math.max(longest, form.length);
    const tail = masked.slice(-longest);
    for (const [form, name] of forms) {
      for (let n = Math.min(form.length - 1, tail.length); n >= MIN_TAIL; n--) {
        if (tail.endsWith(form.slice(0, n))) return masked.slice(0, masked.length - n) + maskFor(name);
      }
    }
    return masked;
  };
  // `seen` holds what each object of this walk became: an object reached twice is walked once (shared
  // references would otherwise cost exponential time) and a cycle ends instead of recursing.
  const deep = (v: unknown, depth: number, seen: Map<object, unknown>): unknown => {
    if (typeof v === 'string') return mask(v);
    if (v === null || typeof v !== 'object') return v;
    // Fail closed: what is nested too deep to be walked is not let through unmasked.
    if (depth > MAX_DEPTH) return TOO_DEEP;
    if (seen.has(v)) return seen.get(v);
    // Reached again while still being walked: a cycle, which JSON cannot hold; never the unmasked object.
    seen.set(v, CYCLE);
    const result = deepObject(v, depth, seen);
    seen.set(v, result);
    return result;
  };
  const deepObject = (v: object, depth: number, seen: Map<object, unknown>): unknown => {
    if (Array.isArray(v)) {
      let out: unknown[] | undefined;
      v.forEach((x, i) => {
        const m = deep(x, depth + 1, seen);
        if (m !== x) (out ??= v.slice())[i] = m;
      });
      return out ?? v;
    }
    let out: Record<string, unknown> | undefined;
    for (const [k, x] of Object.entries(v)) {
      const mk = mask(k);
      const m = deep(x, depth + 1, seen);
      if (mk !== k || m !== x) {
        out ??= { ...(v as Record<string, unknown>) };
        if (mk !== k) delete out[k];
        out[mk] = m;
      }
    }
    return out ?? v;
  };
  return {
    add(name, value) {
      if (!value) return;
      names.add(name);
      for (const f of secretForms(value)) if (!forms.has(f)) forms.set(f, name);
      dirty = true;
    },
    mask,
    maskCut,
    maskDeep: <T>(value: T): T => (forms.size === 0 ? value : (deep(value, 0, new Map()) as T)),
    names: () => [...names],
    clear() {
      forms = new Map();
      names = new Set();
      compiled = undefined;
      dirty = false;
    },
  };
}
