import assert from 'node:assert/strict';
import { createCommandGuard } from '../../customer-plane/guard/guard.ts';
import { codingAgentPolicy } from './command-corpus.ts';

/**
 * A program's options as its documentation states them, proved against the command guard. The rules are
 * written out by hand in each spec (never read from the guard's tables), so a table that loses, gains or
 * changes an entry fails the spec.
 */
const guard = await createCommandGuard();
const words = (s: string) => s.split(' ').filter((w) => w !== '');

/** What the gate is told about an accepted command: the consequences a person approves, and whether it runs the repository's code. */
export type Verdict = { consequences?: string[]; runsCode?: boolean };

export type Rule = Verdict & {
  /** The operands the program is normally given (a file, a pattern and a folder…); each option is tried before them and last. */
  at: string;
  /** Options without a value. */
  flags?: string;
  /** Options that need a value, with a realistic one: separate or attached (`-n5`, `--lines=5`); an empty or missing value is refused. */
  values?: Array<[string, string]>;
  /** Options whose value is optional and only ever attached (`--color`, `--color=never`, `-j`, `-j4`), so the next word stays an operand. */
  optional?: Array<[string, string]>;
  /** Options naming a file the program reads, alone or with a realistic value: inside the workspace, never stdin. */
  reads?: Array<string | [string, string]>;
  /** Options naming a file the program writes, alone or with a realistic value: inside the workspace, never into .git. */
  writes?: Array<string | [string, string]>;
};

/** `--opt=v` for a long option, `-ov` for a short one. */
const attached = (opt: string, value: string) => (opt.startsWith('--') ? `${opt}=${value}` : `${opt}${value}`);
/** An empty value, as an agent would write one: `--opt=` or `-o ''`. */
const empty = (opt: string) => (opt.startsWith('--') ? [`${opt}=`] : [opt, "''"]);
const withValue = (value: string) => (o: string | [string, string]) => (typeof o === 'string' ? ([o, value] as const) : o);

/** Paths a read must not reach: absolute, up and over, and a sibling whose name starts with the workspace's own. */
const OUTSIDE_READS = [
  '/etc/passwd',
  '../other/list.txt',
  '../other/msg.txt',
  '../other/x',
  '../workspace-sibling/list.txt',
  '../workspace-evil/x',
];
const OUTSIDE_WRITES = ['/tmp/result.txt', '/tmp/out', '../result.txt', '../workspace-sibling/result.txt', '../workspace-evil/out'];
/** A write into .git could plant a hook or a configuration that runs later. */
const INTO_GIT = ['.git/config', '.git/hooks/pre-commit'];

/**
 * The verdicts of the guard for an agent allowed exactly `programs` (written out by hand in a spec, so a
 * program missing from the guard's registry is refused whatever the list says).
 */
export function verdictsFor(programs: readonly string[]) {
  const check = (command: string) => guard.check(command, { programs: [...programs] });
  /** Accepted with the consequences the gate will ask about and whether it runs repository code (none, unless stated). */
  function accepted(command: string, verdict: Verdict = {}) {
    const v = check(command);
    assert.ok(v.ok, v.ok ? '' : `${command} was refused: ${v.reason}: ${v.detail}`);
    assert.deepEqual(v.command.consequences, verdict.consequences ?? [], command);
    assert.equal(v.command.runsRepositoryCode, verdict.runsCode ?? false, command);
  }
  function refused(command: string, reason: string, detail?: RegExp) {
    const v = check(command);
    assert.equal(v.ok ? 'accepted' : v.reason, reason, command);
    if (detail && !v.ok) assert.match(v.detail, detail, command);
  }

  /**
   * Every option of the rule accepted where the documentation allows it, and refused where its value is
   * wrong. `program` is every word before the options: the program and its subcommand (`git log`,
   * `python -m pytest`, `cargo test`).
   */
  function proveOptions(program: string, rule: Rule) {
    const before = (...opts: string[]) => [program, ...opts, ...words(rule.at)].join(' ');
    // Last, an option that wrongly wants a value finds none and is refused.
    const last = (...opts: string[]) => [program, ...words(rule.at), ...opts].join(' ');
    const bothPlaces = [before, last];
    accepted(before(), rule);
    for (const flag of words(rule.flags ?? '')) for (const at of bothPlaces) accepted(at(flag), rule);
    for (const [opt, value] of rule.values ?? []) {
      for (const at of bothPlaces) {
        accepted(at(opt, value), rule);
        accepted(at(attached(opt, value)), rule);
        refused(at(...empty(opt)), 'invalid_arguments');
      }
      refused(last(opt), 'invalid_arguments');
    }
    for (const [opt, value] of rule.optional ?? []) {
      for (const at of bothPlaces) {
        accepted(at(opt), rule);
        accepted(at(attached(opt, value)), rule);
      }
    }
    const provePath = (opt: string, value: string, wrong: Array<[string[], string]>) => {
      for (const at of bothPlaces) {
        accepted(at(opt, value), rule);
        accepted(at(attached(opt, value)), rule);
        for (const [paths, reason] of wrong) {
          for (const path of paths) {
            refused(at(opt, path), reason);
            refused(at(attached(opt, path)), reason);
          }
        }
        refused(at(...empty(opt)), 'path_invalid');
      }
      refused(last(opt), 'invalid_arguments');
    };
    for (const [opt, value] of (rule.reads ?? []).map(withValue('notes/list.txt'))) {
      provePath(opt, value, [
        [OUTSIDE_READS, 'path_outside_workspace'],
        [['-'], 'invalid_arguments'],
      ]);
    }
    for (const [opt, value] of (rule.writes ?? []).map(withValue('out/result.txt'))) {
      provePath(opt, value, [
        [OUTSIDE_WRITES, 'path_outside_workspace'],
        [INTO_GIT, 'path_invalid'],
      ]);
    }
  }
  return { check, accepted, refused, proveOptions };
}

/** The coding agent's list: every program the guard registers. */
const codingAgent = verdictsFor(codingAgentPolicy.programs);
export const check = codingAgent.check;
export const refused = codingAgent.refused;
export const proveOptions = codingAgent.proveOptions;
export function accepted(command: string, consequences: string[] = []) {
  codingAgent.accepted(command, { consequences });
}
