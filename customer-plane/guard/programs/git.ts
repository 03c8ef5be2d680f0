import { type Allowed, type Refusal, isRefusal, refuse } from '../refusal.ts';
import { CHANGING } from './git-changes.ts';
import { INSPECTING } from './git-subcommands.ts';

const SUBCOMMANDS = { ...INSPECTING, ...CHANGING };
import { firstBad, parseOptions } from './options.ts';

/**
 * git: only `--no-pager` may come before the subcommand. The global options that redirect git to other
 * repositories, programs or configuration (-c, -C, --git-dir, --work-tree, -p, --exec-path,
 * --config-env, --namespace) are not listed, so they are refused. Each subcommand has its own option
 * allow-list; options that run programs (`--ext-diff`, `-O/--open-files-in-pager`, `--upload-pack`,
 * `--receive-pack`, `--exec`, `-x`), write files outside the index (`--output`), sign (`-S`), or open
 * an editor or interactive mode are not listed. Operands (revisions and paths) may not be absolute or
 * climb out with `..`. Hooks, fsmonitor, pagers and other configured programs are switched off by the
 * runner's environment, because a repository's own .git/config is something the guard cannot see
 * (customer-plane/tools/exec/environment.ts, git-config.ts).
 */
export function checkGit(args: readonly string[]): Allowed | Refusal {
  let i = 0;
  while (args[i] === '--no-pager') i++;
  const sub = args[i];
  if (sub === undefined) return refuse('invalid_arguments', 'git needs a subcommand');
  if (sub === '--version')
    return i === args.length - 1
      ? { consequences: [], runsRepositoryCode: false }
      : refuse('invalid_arguments', 'git --version takes nothing else');
  if (sub.startsWith('-')) return refuse('flag_not_allowed', `git global option ${sub} is not allowed`);
  const rule = Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
  if (!rule) return refuse('subcommand_not_allowed', `git ${sub} is not allowed`);
  const parsed = parseOptions(args.slice(i + 1), rule.spec, `git ${sub}`);
  if (isRefusal(parsed)) return parsed;
  const { operands } = rule.spec;
  let bad: Refusal | undefined;
  if (operands === 'paths') bad = firstBad(parsed.operands, 'read');
  else if (operands === 'outputs') bad = firstBad(parsed.operands, 'write');
  else if (operands === 'none' && parsed.operands.length > 0) bad = refuse('invalid_arguments', `git ${sub} takes no operands`);
  bad ??= rule.check?.(parsed.operands, parsed.seen);
  if (bad) return bad;
  return { consequences: [...(rule.consequences ?? [])], runsRepositoryCode: false };
}
