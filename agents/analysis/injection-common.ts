import type { FindingSeverity } from '../../shared/boundary.ts';
import type { SyntaxNode } from '../types.ts';

/** What the injection scanner reports for one sink; the agent turns it into a finding. */
export type InjectionHit = { rule: InjectionRule; severity: FindingSeverity; line: number; message: string };
export type InjectionRule = 'injection/sql' | 'injection/shell' | 'injection/code-eval' | 'injection/html' | 'injection/template';

/**
 * How a value that reaches a sink was made: `const` (only literals), `built` (literals joined with
 * non-constant parts: concatenation, interpolation, formatting) or `unknown` (a parameter, a call's
 * result). SQL and HTML sinks are reported only for `built` values with SQL or markup in their
 * literal parts — a parameterized query passes `const` text; commands and code are reported for
 * anything that is not `const`.
 */
export type Shape = 'const' | 'built' | 'unknown';

export function joinShapes(shapes: Shape[]): Shape {
  if (shapes.includes('built')) return 'built';
  if (shapes.length > 0 && shapes.every((s) => s === 'const')) return 'const';
  return 'unknown';
}

/** SQL statements in the literal parts of a built string. */
export function looksLikeSql(literal: string): boolean {
  return /\b(select\b[\s\S]+\bfrom|insert\s+into|update\s+\S+\s+set|delete\s+from|drop\s+table|create\s+table|alter\s+table)\b/i.test(
    literal,
  );
}
/** HTML markup in the literal parts of a built string. */
export function looksLikeHtml(literal: string): boolean {
  return /<\/?[a-zA-Z][a-zA-Z0-9-]*(\s|>|\/>)/.test(literal);
}
/** A call whose name says it escapes or sanitizes (escapeHtml, DOMPurify.sanitize, html.escape, bleach.clean). */
export function isSanitizerName(name: string): boolean {
  return /escape|saniti[sz]e|encode|purify|bleach|clean|quote/i.test(name);
}

/** Reaching definitions are followed this deep (x = y; y = `…${z}`); past it a value is `unknown`. */
export const MAX_RESOLVE_DEPTH = 5;

/** What the scanners know of a value: its shape, its literal text, and whether an unsanitized part reached it. */
export type Analysis = { shape: Shape; literal: string; unsanitized: boolean };
export const UNKNOWN_VALUE: Analysis = { shape: 'unknown', literal: '', unsanitized: true };

/**
 * A name's value, for both languages' scanners: each of its reaching definitions analysed and joined;
 * `unknown` without a definition or past MAX_RESOLVE_DEPTH (checked before the definitions are looked up).
 */
export function analyseName(
  depth: number,
  definitions: () => SyntaxNode[],
  analyse: (value: SyntaxNode, depth: number) => Analysis,
): Analysis {
  if (depth >= MAX_RESOLVE_DEPTH) return UNKNOWN_VALUE;
  const values = definitions();
  if (values.length === 0) return UNKNOWN_VALUE;
  const parts = values.map((v) => analyse(v, depth + 1));
  return {
    shape: joinShapes(parts.map((p) => p.shape)),
    literal: parts.map((p) => p.literal).join(''),
    unsanitized: parts.some((p) => p.unsanitized),
  };
}
