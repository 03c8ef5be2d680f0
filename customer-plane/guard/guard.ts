import type { Consequence } from '../../agents/tools.ts';
import { createBashParser } from './parser.ts';
import { checkProgram, refusedByName } from './programs/registry.ts';
import { resolveRedirects } from './redirects.ts';
import { type Refusal, refuse } from './refusal.ts';
import { type RawStage, readStages } from './syntax.ts';
import type { CommandGuard, CommandPolicy, GuardVerdict, ResolvedCommand } from './types.ts';

const MAX_COMMAND_CHARS = 4096;
const MAX_STAGES = 8;
const PROGRAM_NAME = /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/;

function denied(r: Refusal): GuardVerdict {
  return { ok: false, reason: r.reason, detail: r.detail };
}

/** Checks each stage's program against both lists and its own rules; merges what they imply. */
function checkStages(stages: string[][], policy: CommandPolicy): Refusal | Pick<ResolvedCommand, 'consequences' | 'runsRepositoryCode'> {
  const consequences = new Set<Consequence>();
  let runsRepositoryCode = false;
  for (const [program, ...args] of stages) {
    if (program === undefined) return refuse('command_unparseable', 'empty pipeline stage');
    const byName = refusedByName(program);
    if (byName) return byName;
    if (!policy.programs.includes(program)) return refuse('program_not_allowed', `${program} is not on this agent's list of programs`);
    const verdict = checkProgram(program, args);
    if (verdict.refused) return verdict;
    for (const c of verdict.consequences) consequences.add(c);
    runsRepositoryCode ||= verdict.runsRepositoryCode;
  }
  return { consequences: [...consequences], runsRepositoryCode };
}

/**
 * The command guard: parses a command line with tree-sitter-bash, resolves it to literal argv arrays
 * or refuses it, and checks every program against the agent's list and the guard's registry. The
 * runner executes exactly the arrays returned here, never a shell.
 */
export async function createCommandGuard(): Promise<CommandGuard> {
  const parser = await createBashParser();

  function check(command: string, policy: CommandPolicy): GuardVerdict {
    if (typeof command !== 'string' || command.length === 0) return denied(refuse('command_unparseable', 'empty command'));
    if (command.length > MAX_COMMAND_CHARS) return denied(refuse('command_unparseable', 'command too long'));
    if (command.includes('\0')) return denied(refuse('command_unparseable', 'NUL byte in command'));
    const tree = parser.parse(command);
    if (!tree) return denied(refuse('command_unparseable', 'the parser gave no tree'));
    let stages: RawStage[] | Refusal;
    try {
      stages = readStages(tree, command);
    } finally {
      tree.delete();
    }
    if ('refused' in stages) return denied(stages);
    if (stages.length > MAX_STAGES) return denied(refuse('compound_not_allowed', `more than ${MAX_STAGES} pipeline stages`));
    const streams = resolveRedirects(stages.map((s) => s.redirects));
    if ('refused' in streams) return denied(streams);
    const pipeline = stages.map((s) => s.words);
    const checked = checkStages(pipeline, policy);
    if ('refused' in checked) return denied(checked);
    return { ok: true, command: { pipeline, ...streams, ...checked } };
  }

  function checkArgv(argv: readonly string[], policy: CommandPolicy): GuardVerdict {
    if (!Array.isArray(argv) || argv.length === 0) return denied(refuse('invalid_arguments', 'empty argv'));
    for (const a of argv)
      if (typeof a !== 'string' || a.includes('\0')) return denied(refuse('invalid_arguments', 'argv words must be strings without NUL'));
    const program = argv[0]!;
    if (program.includes('/')) return denied(refuse('program_path_qualified', `program given as a path: ${program}`));
    if (!PROGRAM_NAME.test(program)) return denied(refuse('obfuscated_word', `program name ${program} is not a plain name`));
    const words = [...argv];
    const checked = checkStages([words], policy);
    if ('refused' in checked) return denied(checked);
    return { ok: true, command: { pipeline: [words], redirects: [], ...checked } };
  }

  return { check, checkArgv };
}
