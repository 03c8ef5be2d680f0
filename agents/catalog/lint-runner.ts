import { z } from 'zod';
import { readPackageJson } from '../analysis/manifests.ts';
import { parseLintOutput } from '../analysis/lint-output.ts';
import {
  commandStdout,
  countBySeverity,
  finding,
  listWorkspace,
  readText,
  notRunNote,
  result,
  runRepositoryCommand,
} from '../support/workspace.ts';
import { agentOutputSchema, type DeterministicAgent, type Finding, type StepContext } from '../types.ts';

const TIMEOUT_MS = 180_000;
const MAX_FINDINGS = 2000;

type LintCommand = { command: string; tool: string };

/** The linters the repository is set up for, invoked with a machine-readable report where they have one. */
export async function lintCommands(ctx: StepContext, paths: readonly string[]): Promise<LintCommand[]> {
  if (ctx.params.lintCommand) return [{ command: ctx.params.lintCommand, tool: 'lint' }];
  const has = (re: RegExp) => paths.some((p) => re.test(p));
  const text = async (p: string) => (paths.includes(p) ? ((await readText(ctx, p)) ?? '') : '');
  const commands: LintCommand[] = [];
  const pkg = readPackageJson(await text('package.json'));
  // ESLint is the repository's own install (node_modules/.bin), which the command runner finds for
  // commands that run repository code; no npx, which the guard refuses as a wrapper of any package.
  if (has(/^(eslint\.config\.[cm]?[jt]s|\.eslintrc(\.\w+)?)$/)) commands.push({ command: 'eslint --format json .', tool: 'eslint' });
  else if (pkg?.scripts.lint) commands.push({ command: 'npm run lint', tool: 'lint' });
  const pyproject = await text('pyproject.toml');
  const devRequirements = (await Promise.all(paths.filter((p) => /^requirements[\w.-]*\.txt$/.test(p)).map(text))).join('\n');
  if (has(/^\.?ruff\.toml$/) || pyproject.includes('[tool.ruff') || /^ruff\b/m.test(devRequirements)) {
    // --no-fix: a `fix = true` in the repository's config must not turn a report into an edit.
    commands.push({ command: 'ruff check --no-fix --output-format json .', tool: 'ruff' });
  } else if (has(/^\.flake8$/) || (await text('setup.cfg')).includes('[flake8]') || (await text('tox.ini')).includes('[flake8]')) {
    commands.push({ command: 'flake8 .', tool: 'flake8' });
  }
  return commands;
}

/**
 * Runs the linters a repository is configured for through `run_command` and turns their reports into
 * findings (rule `lint/<tool>/<rule>`). A refused command is reported in the summary and as a
 * `lint/not-run` finding, not as a failure of the step.
 */
export const lintRunner: DeterministicAgent = {
  name: 'lint-runner',
  kind: 'deterministic',
  tier: null,
  purpose:
    'Runs the linters the repository is configured for (ESLint, Ruff, flake8, its lint script) in the sandbox and reports each problem with file, line and rule.',
  tools: ['list_files', 'read_file', 'run_command'],
  programs: ['eslint', 'npm', 'ruff', 'flake8'],
  budget: { maxSteps: 20, maxTokens: 0 },
  output: agentOutputSchema.extend({
    data: z.object({
      runs: z.array(z.object({ command: z.string(), problems: z.number().int().optional(), refused: z.string().optional() })),
    }),
  }),
  async run(ctx) {
    const paths = await listWorkspace(ctx);
    const commands = await lintCommands(ctx, paths);
    const findings: Finding[] = [];
    const runs: Array<{ command: string; problems?: number; refused?: string }> = [];
    for (const { command, tool } of commands) {
      const out = await runRepositoryCommand(
        ctx,
        command,
        { timeoutMs: TIMEOUT_MS, rulePrefix: 'lint', severity: 'low', what: 'the linter was' },
        { runs, findings },
      );
      if (!out) continue;
      const stdout = commandStdout(out.output, out.data);
      const exitCode = (out.data as { exitCode?: unknown } | undefined)?.exitCode;
      // A linter that failed and printed no report did not lint: saying "no problems" would be a lie.
      if (stdout.trim() === '' && typeof exitCode === 'number' && exitCode !== 0) {
        runs.push({ command, refused: `failed_without_report (exit ${exitCode})` });
        findings.push(
          finding('lint/not-run', 'low', '', 0, `"${command}" exited ${exitCode} without a report: ${out.output.slice(0, 300)}`),
        );
        continue;
      }
      const problems = parseLintOutput(stdout, paths, tool);
      runs.push({ command, problems: problems.length });
      for (const p of problems.slice(0, MAX_FINDINGS)) findings.push(finding(p.rule, p.severity, p.file, p.line, p.message));
    }
    const summary =
      commands.length === 0
        ? 'no linter configured'
        : `${runs.filter((r) => !r.refused).length} of ${commands.length} linters run${notRunNote(runs)}: ${countBySeverity(findings)}`;
    return result(summary, findings, { runs });
  },
};
