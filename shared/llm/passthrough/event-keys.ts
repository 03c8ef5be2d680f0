/**
 * Key lookups in one upstream OpenAI event, a JSON object as text, without parsing it: the
 * pass-through stream reads a handful of keys from every event and forwards the rest untouched.
 * They rely on one property of JSON: inside a string value every quote is escaped, so `"key":` can
 * only occur as a key. A key name that another one ends with (`content` in `reasoning_content`,
 * `model` in `base_model`) is told apart by the quote before it.
 */

/** Index of the quote closing the JSON string whose content starts at `from`, or -1. */
export function stringEnd(s: string, from: number): number {
  for (let i = from; ; ) {
    const q = s.indexOf('"', i);
    if (q === -1) return -1;
    let slashes = 0;
    for (let k = q - 1; k >= from && s.charCodeAt(k) === 92; k--) slashes++;
    if (slashes % 2 === 0) return q;
    i = q + 1;
  }
}

/**
 * Index of the first `"` + `tail` in `s`, or -1. Searched for without its opening quote: V8's
 * substring search scans for a pattern's first character, and the quote is JSON's commonest, so
 * each of an event's half-dozen key lookups stopped at every quote (a tenth of the proxy's
 * instructions on a stream; three times faster this way). The quote is checked after a hit, so
 * `reasoning_content":"` never passes for `"content":"`.
 */
export function keyAt(s: string, tail: string): number {
  for (let i = s.indexOf(tail); i !== -1; i = s.indexOf(tail, i + 1)) {
    if (i > 0 && s.charCodeAt(i - 1) === 34) return i - 1;
  }
  return -1;
}

/**
 * Puts the tier name in the event's top-level `model`. The first `"model":"` in an event is the
 * top-level key: OpenAI sends it before `choices`, and string values cannot contain the sequence.
 */
export function retag(data: string, tier: string): string {
  const i = keyAt(data, 'model":"');
  if (i === -1) return data;
  const j = stringEnd(data, i + 9);
  return j === -1 ? data : `${data.slice(0, i + 9)}${tier}${data.slice(j)}`;
}

/** Text as it stands inside JSON string values (escapes kept), decoded; '' if it does not decode. */
export function decodeEscaped(escaped: string): string {
  if (!escaped) return '';
  try {
    return JSON.parse(`"${escaped}"`) as string;
  } catch {
    return '';
  }
}
