import type { Consequence } from '../../../agents/tools.ts';
import { checkWorkspacePath } from '../paths.ts';
import { type Allowed, type Refusal, isRefusal, refuse } from '../refusal.ts';

/**
 * An allow-list of a program's options. Anything not listed is refused — including GNU's unique
 * abbreviations of long options (`--compress-prog` for `--compress-program`), which match nothing here.
 *
 * - `value`: takes a free value (`-n 5`, `-n5`, `--lines=5`, `--lines 5`)
 * - `path` / `output`: takes a workspace path that is read / written
 * - `optional`: a long option whose value, if any, is attached with `=`
 */
export type OptionKind = 'flag' | 'value' | 'path' | 'output' | 'optional';

export type OptionSpec = {
  /** Short boolean options, combinable (`-la`). */
  flags?: string;
  /** Short options that take a value (`optional`: only attached, as in `sed -i.bak`). */
  short?: Record<string, Exclude<OptionKind, 'flag'>>;
  /** Long options, with their leading `--`. */
  long?: Record<string, OptionKind>;
  /** `-20` means a count (head, tail). */
  numeric?: boolean;
  /** What the non-option words are: read paths, written paths, free values, or a custom check. */
  operands: 'paths' | 'outputs' | 'values' | 'none' | ((operands: string[], seen: Seen) => Refusal | undefined);
  consequences?: Consequence[];
  runsRepositoryCode?: boolean;
};

/** The options a command line used, by their spelling (`-n`, `--lines`), with the value if any. */
export type Seen = Map<string, string | true>;

/** `all` keeps every option in order, repeats included (`sed -e a -e b`). */
export type Parsed = { operands: string[]; seen: Seen; all: Array<[string, string | true]> };

function checkValue(kind: OptionKind, value: string, name: string): Refusal | undefined {
  // `-f -` and the like would read a program or script from stdin, i.e. from the previous stage.
  if (kind === 'path')
    return value === '-' ? refuse('invalid_arguments', `${name} may not read from stdin`) : checkWorkspacePath(value, 'read');
  if (kind === 'output') return checkWorkspacePath(value, 'write');
  if (value.length === 0 && kind === 'value') return refuse('invalid_arguments', `option ${name} needs a value`);
  return undefined;
}

export function parseOptions(args: readonly string[], spec: OptionSpec, program: string): Parsed | Refusal {
  const operands: string[] = [];
  const seen: Seen = new Map();
  const all: Array<[string, string | true]> = [];
  const see = (name: string, value: string | true) => {
    seen.set(name, value);
    all.push([name, value]);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg : arg.slice(0, eq);
      const kind = spec.long?.[name];
      if (kind === undefined) return refuse('flag_not_allowed', `${program} ${name} is not allowed`);
      if (kind === 'flag') {
        if (eq !== -1) return refuse('flag_not_allowed', `${program} ${name} takes no value`);
        see(name, true);
        continue;
      }
      if (kind === 'optional') {
        const value = eq === -1 ? true : arg.slice(eq + 1);
        see(name, value);
        continue;
      }
      const value: string | undefined = eq === -1 ? args[++i] : arg.slice(eq + 1);
      if (value === undefined) return refuse('invalid_arguments', `${program} ${name} needs a value`);
      const bad = checkValue(kind, value, name);
      if (bad) return bad;
      see(name, value);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      if (spec.numeric && /^-\d+$/.test(arg)) {
        see('-n', arg.slice(1));
        continue;
      }
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        if (spec.flags?.includes(letter)) {
          see(`-${letter}`, true);
          continue;
        }
        const kind = spec.short?.[letter];
        if (kind === undefined) return refuse('flag_not_allowed', `${program} -${letter} is not allowed`);
        const attached = arg.slice(j + 1);
        if (kind === 'optional') {
          see(`-${letter}`, attached.length > 0 ? attached : true);
          break;
        }
        const value = attached.length > 0 ? attached : args[++i];
        if (value === undefined) return refuse('invalid_arguments', `${program} -${letter} needs a value`);
        const bad = checkValue(kind, value, `-${letter}`);
        if (bad) return bad;
        see(`-${letter}`, value);
        break;
      }
      continue;
    }
    operands.push(arg);
  }
  return { operands, seen, all };
}

/** The generic rule: parse against the spec, then check the operands. */
export function checkWithSpec(program: string, args: readonly string[], spec: OptionSpec): Allowed | Refusal {
  const parsed = parseOptions(args, spec, program);
  if (isRefusal(parsed)) return parsed;
  const bad = checkOperands(program, parsed, spec.operands);
  if (bad) return bad;
  return { consequences: [...(spec.consequences ?? [])], runsRepositoryCode: spec.runsRepositoryCode ?? false };
}

export function checkOperands(program: string, parsed: Parsed, operands: OptionSpec['operands']): Refusal | undefined {
  if (operands === 'paths') return firstBad(parsed.operands, 'read');
  if (operands === 'outputs') return firstBad(parsed.operands, 'write');
  if (operands === 'none' && parsed.operands.length > 0) return refuse('invalid_arguments', `${program} takes no operands`);
  if (typeof operands === 'function') return operands(parsed.operands, parsed.seen);
  return undefined;
}

export function firstBad(paths: readonly string[], mode: 'read' | 'write'): Refusal | undefined {
  for (const p of paths) {
    const bad = checkWorkspacePath(p, mode);
    if (bad) return bad;
  }
  return undefined;
}

export function allowed(consequences: Consequence[] = [], runsRepositoryCode = false): Allowed {
  return { consequences, runsRepositoryCode };
}
