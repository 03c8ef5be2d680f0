import { checkWorkspacePath } from '../paths.ts';
import { type Allowed, type Refusal, refuse } from '../refusal.ts';
import { allowed } from './options.ts';

/**
 * find: start paths in the workspace, then an expression of listed tests and actions. The actions that
 * run programs (-exec, -execdir, -ok, -okdir), delete (-delete) or write files (-fprint*, -fls) are refused.
 */
const OPERATORS = new Set(['(', ')', '!', '-not', '-a', '-and', '-o', '-or', ',']);
const WITH_VALUE = new Set([
  '-name',
  '-iname',
  '-path',
  '-ipath',
  '-wholename',
  '-iwholename',
  '-regex',
  '-iregex',
  '-regextype',
  '-type',
  '-xtype',
  '-size',
  '-mtime',
  '-mmin',
  '-atime',
  '-amin',
  '-ctime',
  '-cmin',
  '-user',
  '-group',
  '-uid',
  '-gid',
  '-perm',
  '-links',
  '-inum',
  '-maxdepth',
  '-mindepth',
  '-printf',
]);
const WITH_PATH = new Set(['-newer', '-anewer', '-cnewer', '-samefile']);
const BARE = new Set([
  '-empty',
  '-executable',
  '-readable',
  '-writable',
  '-true',
  '-false',
  '-print',
  '-print0',
  '-prune',
  '-quit',
  '-ls',
  '-depth',
  '-mount',
  '-xdev',
  '-nouser',
  '-nogroup',
  '-daystart',
  '-noleaf',
]);
const RUNS_PROGRAMS = new Set(['-exec', '-execdir', '-ok', '-okdir']);

export function checkFind(args: readonly string[]): Allowed | Refusal {
  let i = 0;
  while (i < args.length && (args[i] === '-H' || args[i] === '-L' || args[i] === '-P')) i++;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-') || OPERATORS.has(a)) break;
    const bad = checkWorkspacePath(a, 'read');
    if (bad) return bad;
  }
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (OPERATORS.has(a) || BARE.has(a)) continue;
    if (WITH_VALUE.has(a) || WITH_PATH.has(a)) {
      const value = args[++i];
      if (value === undefined) return refuse('invalid_arguments', `find ${a} needs a value`);
      if (WITH_PATH.has(a)) {
        const bad = checkWorkspacePath(value, 'read');
        if (bad) return bad;
      }
      continue;
    }
    if (RUNS_PROGRAMS.has(a)) return refuse('shell_wrapper', `find ${a} runs programs`);
    return refuse('flag_not_allowed', `find ${a} is not allowed`);
  }
  return allowed();
}
