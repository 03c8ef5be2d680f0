/**
 * Redaction by key name, at any depth: a field whose name says it holds a credential is replaced
 * wherever it is — `{cfg: {hub: {password}}}`, `upstream.headers.authorization`, inside arrays, in
 * an error's own properties and along its `cause` chain. Fixed paths miss the nesting nobody
 * thought of; names do not. Objects are copied only where something is replaced, so a line with
 * nothing to hide (the LLM proxy's summary line) costs one cached lookup per key.
 */
export const CENSOR = '[redacted]';

/** Names (case-insensitive, also as a suffix: `enrollToken`, `client_secret`, `x-api-key`) that hold credentials. */
const SECRET_NAME =
  /^(?:pass|pwd|jwt)$|(?:password|passwd|passphrase|secret|token|api[-_]?key|private[-_]?key|authorization|cookie|credentials?|session[-_]?id)$/i;
/** Private members of a JWK (`kty` present): an exported signing key logged by mistake. */
const JWK_PRIVATE = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']);
const MAX_DEPTH = 10;

const decided = new Map<string, boolean>();
export function isSecretName(key: string): boolean {
  let secret = decided.get(key);
  if (secret === undefined) {
    secret = SECRET_NAME.test(key);
    if (decided.size < 4096) decided.set(key, secret);
  }
  return secret;
}

function errorFields(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { type: err.name, message: err.message, stack: err.stack };
  for (const key of Object.keys(err)) out[key] = (err as unknown as Record<string, unknown>)[key];
  if (err.cause !== undefined) out.cause = err.cause;
  if (err instanceof AggregateError) out.errors = err.errors;
  return out;
}

function walk(value: unknown, depth: number, seen: Set<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  // Dates, Buffers, URLs and the like serialise themselves and carry no named fields.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function' && !(value instanceof Error)) return value;
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const v = walk(value[i], depth + 1, seen);
        if (v !== value[i]) (out ??= value.slice())[i] = v;
      }
      return out ?? value;
    }
    // An error is always copied: its message and stack are not enumerable, its cause may hold anything.
    const source = value instanceof Error ? errorFields(value) : (value as Record<string, unknown>);
    let out: Record<string, unknown> | undefined = value instanceof Error ? source : undefined;
    const jwk = typeof source.kty === 'string';
    for (const key of Object.keys(source)) {
      const v = source[key];
      const next = isSecretName(key) || (jwk && JWK_PRIVATE.has(key)) ? CENSOR : walk(v, depth + 1, seen);
      if (next !== v) (out ??= { ...source })[key] = next;
    }
    return out ?? value;
  } finally {
    seen.delete(value);
  }
}

/** Fields whose own serializer writes a fixed, safe shape (the HTTP request and reply objects). */
const SERIALIZED = new Set(['req', 'res']);

/** A copy of a log line's fields with every secret-named field, at any depth, replaced by CENSOR. */
export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  let seen: Set<object> | undefined;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(fields)) {
    const v = fields[key];
    if (SERIALIZED.has(key)) continue;
    // Most fields are numbers and strings: no walk, and no allocation for the line.
    const next = isSecretName(key) ? CENSOR : v !== null && typeof v === 'object' ? walk(v, 1, (seen ??= new Set())) : v;
    if (next !== v) (out ??= { ...fields })[key] = next;
  }
  return out ?? fields;
}
