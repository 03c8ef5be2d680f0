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

/**
 * The verdicts of the guard for an agent allowed exactly `programs` (written out by hand in a spec, so a
 * program missing from the guard's registry is refused whatever the list says).
 */
export function verdictsFor(programs: readonly string[]) {
  const check = (command: string) => guard.check(command, { programs: [...programs] });
  return {
    check,
    /** Accepted with the consequences the gate will ask about and whether it runs repository code. */
    accepted(command: string, verdict: { consequences?: string[]; runsCode: boolean }) {
      const v = check(command);
      assert.ok(v.ok, v.ok ? '' : `${command} was refused: ${v.reason}: ${v.detail}`);
      assert.deepEqual(v.command.consequences, verdict.consequences ?? [], command);
      assert.equal(v.command.runsRepositoryCode, verdict.runsCode, command);
    },
    refused(command: string, reason: string, detail?: RegExp) {
      const v = check(command);
      assert.equal(v.ok ? 'accepted' : v.reason, reason, command);
      if (detail && !v.ok) assert.match(v.detail, detail, command);
    },
  };
}

const codingAgent = verdictsFor(codingAgentPolicy.programs);
export const check = codingAgent.check;
export const refused = codingAgent.refused;
export function accepted(command: string, consequences: string[] = []) {
  codingAgent.accepted(command, { consequences, runsCode: false });
}

export type Rule = {
  /** The operands the program is normally given (a file, a pattern and a folder…). */
  at: string;
  /** Options without a value: each tried before the operands and as the command's last word. */
  flags?: string;
  /** Options that need a value, with a realistic one: separate, attached or after `=`; an empty or missing value is refused. */
  values?: Array<[string, string]>;
  /** Long options whose value is optional (`--color`, `--color=never`). */
  optional?: Array<[string, string]>;
  /** Options naming a file the program reads: inside the workspace, never stdin. */
  reads?: string[];
  /** Options naming a file the program writes: inside the workspace, never into .git. */
  writes?: string[];
  consequences?: string[];
};

/** Every option of the rule accepted where the documentation allows it, and refused where its value is wrong. */
export function proveOptions(program: string, rule: Rule) {
  const c = rule.consequences ?? [];
  const before = (...opts: string[]) => [program, ...opts, ...words(rule.at)].join(' ');
  const last = (...opts: string[]) => [program, ...words(rule.at), ...opts].join(' ');
  accepted(before(), c);
  for (const flag of words(rule.flags ?? '')) {
    accepted(before(flag), c);
    // Last, an option that wrongly wants a value finds none and is refused.
    accepted(last(flag), c);
  }
  for (const [opt, value] of rule.values ?? []) {
    accepted(before(opt, value), c);
    if (opt.startsWith('--')) {
      accepted(before(`${opt}=${value}`), c);
      refused(before(`${opt}=`), 'invalid_arguments');
    } else {
      accepted(before(`${opt}${value}`), c);
      refused(before(opt, "''"), 'invalid_arguments');
    }
    refused(last(opt), 'invalid_arguments');
  }
  for (const [opt, value] of rule.optional ?? []) {
    accepted(last(opt), c);
    accepted(before(opt), c);
    accepted(before(`${opt}=${value}`), c);
  }
  for (const opt of rule.reads ?? []) {
    const value = (v: string) => (opt.startsWith('--') ? [`${opt}=${v}`] : [opt, v]);
    accepted(before(...value('notes/list.txt')), c);
    refused(before(...value('/etc/passwd')), 'path_outside_workspace');
    refused(before(...value('../other/list.txt')), 'path_outside_workspace');
    refused(before(...value('../workspace-sibling/list.txt')), 'path_outside_workspace');
    refused(before(...value('-')), 'invalid_arguments');
    refused(last(opt), 'invalid_arguments');
  }
  for (const opt of rule.writes ?? []) {
    const value = (v: string) => (opt.startsWith('--') ? [`${opt}=${v}`] : [opt, v]);
    accepted(before(...value('out/result.txt')), c);
    refused(before(...value('/tmp/result.txt')), 'path_outside_workspace');
    refused(before(...value('../result.txt')), 'path_outside_workspace');
    refused(before(...value('../workspace-sibling/result.txt')), 'path_outside_workspace');
    refused(before(...value('.git/config')), 'path_invalid');
    refused(last(opt), 'invalid_arguments');
  }
}
