/**
 * Postgres text and jsonb cannot hold NUL characters, and agent input (a model's tool arguments, a
 * command's output) can contain them. Stored records replace each NUL with U+FFFD, so a hostile or
 * broken value is kept, visibly marked, instead of failing the write that records it.
 */
export function pgSafe<T>(value: T): T {
  if (typeof value === 'string') return (value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value) as T;
  if (Array.isArray(value)) return value.map((v) => pgSafe(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[pgSafe(k)] = pgSafe(v);
    return out as T;
  }
  return value;
}

/** JSON for a jsonb parameter, NUL-free. */
export function jsonb(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(pgSafe(value));
}
