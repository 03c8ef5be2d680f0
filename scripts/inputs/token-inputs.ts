/**
 * Text that is costly to tokenise: runs of one character (one pre-token of any length), runs of
 * whitespace, and long runs of distinct letters, CJK characters and symbols, which no memo helps
 * with. `seed` makes the distinct runs different between calls. Shared by the token tests, the
 * isolation test and bench/token-count.ts.
 */
export function pathologicalInputs(units: number, seed = 1): Record<string, string> {
  // mulberry32: integer arithmetic only, so the sequence does not collapse into a short cycle.
  let x = seed >>> 0;
  const next = (span: number) => {
    x = (x + 0x6d2b79f5) >>> 0;
    let z = Math.imul(x ^ (x >>> 15), 1 | x);
    z ^= z + Math.imul(z ^ (z >>> 7), 61 | z);
    return ((z ^ (z >>> 14)) >>> 0) % span;
  };
  const run = (base: number, span: number) => Array.from({ length: units }, () => String.fromCharCode(base + next(span))).join('');
  return {
    'one letter repeated': 'a'.repeat(units),
    spaces: ' '.repeat(units),
    newlines: '\n'.repeat(units),
    'one CJK character repeated': '中'.repeat(units),
    'one emoji repeated': '😀'.repeat(units / 2),
    'distinct lowercase letters': run(97, 26),
    'distinct CJK characters': run(0x4e00, 20_000),
    'distinct punctuation': run(0x2010, 0x50),
  };
}

export function ordinaryText(units: number): string {
  const para =
    'The reviewer reads the diff, runs the tests and writes a short summary. function fooBar(x: number) {\n  return x * 2; // why\n}\n';
  return para.repeat(Math.ceil(units / para.length)).slice(0, units);
}
