/**
 * Parses the nats-server configuration our generators write (shared/nats-conf.ts: `key: value` lines,
 * `{}` blocks, `[]` lists, JSON strings, numbers, booleans, `include "file"`), so config tests assert
 * the parsed structure entry by entry instead of searching the text. Anything else is a parse error.
 */
export type Conf = string | number | boolean | Conf[] | { [key: string]: Conf };

export function parseNatsConf(text: string): { [key: string]: Conf } {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`nats conf: ${what} at offset ${i}: ${JSON.stringify(text.slice(i, i + 40))}`);
  };
  const key = (): string => {
    const m = /^[A-Za-z_$][\w$.-]*/.exec(text.slice(i));
    if (!m) return fail('expected a key');
    i += m[0].length;
    return m[0];
  };
  const value = (): Conf => {
    ws();
    const c = text[i];
    if (c === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i));
      if (!m) return fail('unterminated string');
      i += m[0].length;
      return JSON.parse(m[0]) as string;
    }
    if (c === '{') {
      i++;
      const obj = body('}');
      i++;
      return obj;
    }
    if (c === '[') {
      i++;
      const list: Conf[] = [];
      for (;;) {
        ws();
        if (text[i] === ']') {
          i++;
          return list;
        }
        list.push(value());
      }
    }
    const m = /^(-?\d+(?:\.\d+)?|true|false)(?=\s|$|[}\]])/.exec(text.slice(i));
    if (!m) return fail('expected a value');
    i += m[0].length;
    return m[0] === 'true' ? true : m[0] === 'false' ? false : Number(m[0]);
  };
  const body = (end: string | undefined): { [key: string]: Conf } => {
    const obj: { [key: string]: Conf } = {};
    for (;;) {
      ws();
      if (end ? text[i] === end : i >= text.length) return obj;
      if (i >= text.length) fail(`expected ${end}`);
      const k = key();
      if (k === 'include') {
        ws();
        obj.include = value();
        continue;
      }
      if (text[i] !== ':') fail('expected ":"');
      i++;
      if (k in obj) fail(`duplicate key ${k}`);
      obj[k] = value();
    }
  };
  return body(undefined);
}
