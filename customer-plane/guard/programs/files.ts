import { checkWorkspacePath } from '../paths.ts';
import { type Refusal, refuse } from '../refusal.ts';
import { firstBad, type OptionSpec } from './options.ts';

/**
 * Programs that change files. Every operand they write must be a workspace path outside `.git`.
 * Deleting is a consequence the gate asks about; recursive and forced deletes are not listed at all.
 * Changing permissions is a consequence too, and modes that add set-uid/set-gid/sticky bits are refused.
 */

/** Refuses `rm .`, `rm ./`, which would aim at the workspace itself. */
function deletable(ops: string[]): Refusal | undefined {
  if (ops.length === 0) return refuse('invalid_arguments', 'nothing to delete');
  return firstBad(ops, 'write');
}

const SAFE_MODE = /^([0-7]{1,3}|0[0-7]{3}|[ugoa]*[+=-][rwxX]*(,[ugoa]*[+=-][rwxX]*)*)$/;

function chmodOperands(ops: string[]): Refusal | undefined {
  const [mode, ...paths] = ops;
  if (mode === undefined || paths.length === 0) return refuse('invalid_arguments', 'chmod MODE FILE…');
  if (!SAFE_MODE.test(mode)) return refuse('flag_not_allowed', `mode ${mode} is not allowed (no set-uid, set-gid or sticky bits)`);
  return firstBad(paths, 'write');
}

function chownOperands(ops: string[]): Refusal | undefined {
  const [owner, ...paths] = ops;
  if (owner === undefined || paths.length === 0) return refuse('invalid_arguments', 'chown OWNER FILE…');
  if (!/^[A-Za-z0-9_.-]*(:[A-Za-z0-9_.-]*)?$/.test(owner)) return refuse('invalid_arguments', `owner ${owner}`);
  return firstBad(paths, 'write');
}

/** cp/mv: sources are read (mv also removes them), the destination is written. */
function copyOperands(removesSources: boolean) {
  return (ops: string[], seen: Map<string, string | true>): Refusal | undefined => {
    if (ops.length < (seen.has('-t') || seen.has('--target-directory') ? 1 : 2))
      return refuse('invalid_arguments', 'source and destination needed');
    for (const [i, p] of ops.entries()) {
      const isDest = i === ops.length - 1 && !seen.has('-t') && !seen.has('--target-directory');
      const bad = checkWorkspacePath(p, isDest || removesSources ? 'write' : 'read');
      if (bad) return bad;
    }
    return undefined;
  };
}

export const filePrograms: Record<string, OptionSpec> = {
  mkdir: { flags: 'pv', short: { m: 'value' }, long: { '--parents': 'flag', '--verbose': 'flag' }, operands: 'outputs' },
  touch: {
    flags: 'acm',
    short: { d: 'value', r: 'path', t: 'value' },
    long: { '--no-create': 'flag', '--date': 'value' },
    operands: 'outputs',
  },
  cp: {
    flags: 'rRapvnfuLPTl',
    short: { t: 'output' },
    long: {
      '--recursive': 'flag',
      '--archive': 'flag',
      '--verbose': 'flag',
      '--no-clobber': 'flag',
      '--force': 'flag',
      '--update': 'optional',
      '--target-directory': 'output',
      '--no-target-directory': 'flag',
      '--preserve': 'optional',
    },
    operands: copyOperands(false),
  },
  mv: {
    flags: 'fnvuT',
    short: { t: 'output' },
    long: {
      '--force': 'flag',
      '--no-clobber': 'flag',
      '--verbose': 'flag',
      '--target-directory': 'output',
      '--no-target-directory': 'flag',
    },
    operands: copyOperands(true),
  },
  rm: { flags: 'vd', long: { '--verbose': 'flag', '--dir': 'flag' }, operands: deletable, consequences: ['delete'] },
  rmdir: {
    flags: 'pv',
    long: { '--parents': 'flag', '--verbose': 'flag', '--ignore-fail-on-non-empty': 'flag' },
    operands: deletable,
    consequences: ['delete'],
  },
  chmod: {
    flags: 'Rvcf',
    long: { '--recursive': 'flag', '--verbose': 'flag', '--changes': 'flag' },
    operands: chmodOperands,
    consequences: ['permission_change'],
  },
  chown: {
    flags: 'Rvchf',
    long: { '--recursive': 'flag', '--verbose': 'flag', '--changes': 'flag', '--no-dereference': 'flag' },
    operands: chownOperands,
    consequences: ['permission_change'],
  },
  tee: { flags: 'ai', long: { '--append': 'flag' }, operands: 'outputs' },
};
