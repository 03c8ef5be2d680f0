import { type Allowed, type Refusal, isRefusal, refuse } from '../refusal.ts';
import { allowed, firstBad, type OptionSpec, parseOptions } from './options.ts';

/**
 * sed: scripts are checked command by command against a small grammar — addresses, then one of the
 * printing/editing commands, or `s`/`y` with flags. `e` (run a command), `w`/`W` (write a file),
 * `r`/`R` (read one) and the `e`/`w` flags of `s` are outside the grammar, so they are refused;
 * so are scripts from a file (-f), which the guard cannot see.
 */
const spec: OptionSpec = {
  flags: 'nErsuz',
  short: { e: 'value', l: 'value', i: 'optional' },
  long: {
    '--quiet': 'flag',
    '--silent': 'flag',
    '--regexp-extended': 'flag',
    '--expression': 'value',
    '--in-place': 'optional',
    '--separate': 'flag',
    '--posix': 'flag',
    '--null-data': 'flag',
  },
  operands: 'values',
};

const SIMPLE = new Set(['p', 'P', 'd', 'D', 'q', 'Q', '=', 'n', 'N', 'g', 'G', 'h', 'H', 'x', 'l', '{', '}']);

function skipDelimited(script: string, i: number, delim: string): number {
  for (; i < script.length; i++) {
    if (script[i] === '\\') i++;
    else if (script[i] === delim) return i + 1;
  }
  return -1;
}

function skipAddress(script: string, i: number): number {
  const one = (j: number): number => {
    if (script[j] === '$') return j + 1;
    if (/\d/.test(script[j] ?? '')) {
      while (/[\d~]/.test(script[j] ?? '')) j++;
      return j;
    }
    if (script[j] === '/') return skipDelimited(script, j + 1, '/');
    if (script[j] === '\\' && script[j + 1] !== undefined) return skipDelimited(script, j + 2, script[j + 1]!);
    return j;
  };
  let j = one(i);
  if (j === -1) return -1;
  if (j > i && script[j] === ',') {
    const k = one(j + 1);
    if (k === -1 || k === j + 1) {
      if (script[j + 1] === '+' || script[j + 1] === '~') {
        j += 2;
        while (/\d/.test(script[j] ?? '')) j++;
        return j;
      }
      return -1;
    }
    j = k;
  }
  if (script[j] === 'I' || script[j] === 'M') j++;
  if (script[j] === '!') j++;
  return j;
}

export function checkSedScript(script: string): Refusal | undefined {
  let i = 0;
  while (i < script.length) {
    while (/[\s;]/.test(script[i] ?? '')) i++;
    if (i >= script.length) break;
    i = skipAddress(script, i);
    if (i === -1) return refuse('invalid_arguments', 'sed address does not parse');
    while (script[i] === ' ') i++;
    const cmd = script[i];
    if (cmd === undefined) return refuse('invalid_arguments', 'sed address without a command');
    if (SIMPLE.has(cmd)) {
      i++;
      if ((cmd === 'q' || cmd === 'Q') && /\d/.test(script[i] ?? '')) while (/\d/.test(script[i] ?? '')) i++;
      continue;
    }
    if (cmd === 's' || cmd === 'y') {
      const delim = script[i + 1];
      if (delim === undefined || delim === '\\' || delim === '\n') return refuse('invalid_arguments', 'sed s without a delimiter');
      let j = skipDelimited(script, i + 2, delim);
      if (j !== -1) j = skipDelimited(script, j, delim);
      if (j === -1) return refuse('invalid_arguments', `sed ${cmd} command is not terminated`);
      if (cmd === 's') while (/[gpiImM0-9]/.test(script[j] ?? '')) j++;
      i = j;
      if (script[i] !== undefined && !/[\s;}]/.test(script[i]!)) {
        return refuse('flag_not_allowed', `sed ${cmd} flag ${script[i]} is not allowed (e and w run programs and write files)`);
      }
      continue;
    }
    return refuse('flag_not_allowed', `sed command ${cmd} is not allowed`);
  }
  return undefined;
}

export function checkSed(args: readonly string[]): Allowed | Refusal {
  const parsed = parseOptions(args, spec, 'sed');
  if (isRefusal(parsed)) return parsed;
  const scripts: string[] = [];
  for (const [name, value] of parsed.all) if ((name === '-e' || name === '--expression') && typeof value === 'string') scripts.push(value);
  let files = parsed.operands;
  if (scripts.length === 0) {
    if (files.length === 0) return refuse('invalid_arguments', 'sed needs a script');
    scripts.push(files[0]!);
    files = files.slice(1);
  }
  for (const s of scripts) {
    const bad = checkSedScript(s);
    if (bad) return bad;
  }
  // GNU sed names the backup after the suffix: `*` stands for the file's name and `/` puts it in another
  // directory, so `-i'.git/*'` would move an edited file into .git. Only a plain suffix (`.bak`) is allowed.
  for (const [name, value] of parsed.all) {
    if ((name === '-i' || name === '--in-place') && /[/*]/.test(String(value)))
      return refuse('flag_not_allowed', `sed ${name} suffix ${value} may not contain / or *`);
  }
  const inPlace = parsed.seen.has('-i') || parsed.seen.has('--in-place');
  return firstBad(files, inPlace ? 'write' : 'read') ?? allowed();
}
