import { z } from 'zod';
import { readPackageJson } from '../analysis/manifests.ts';
import { parseTestOutput, type TestReport } from '../analysis/test-output.ts';
import { countBySeverity, finding, listWorkspace, readText, notRunNote, result, runRepositoryCommand } from '../support/workspace.ts';
import { agentOutputSchema, type DeterministicAgent, type Finding, type StepContext } from '../types.ts';

const NPM_DEFAULT_TEST = 'echo "Error: no test specified" && exit 1';
const PYTEST = 'python3 -m pytest -rf --tb=line -q -p no:cacheprovider';
const TIMEOUT_MS = 300_000;

/** The repository's own test commands: `npm test` where package.json defines one, pytest where there are Python tests. */
export async function testCommands(ctx: StepContext, paths: readonly string[]): Promise<string[]> {
  if (ctx.params.testCommand) return [ctx.params.testCommand];
  const commands: string[] = [];
  if (paths.includes('package.json')) {
    const pkg = readPackageJson((await readText(ctx, 'package.json')) ?? '');
    if (pkg?.scripts.test && pkg.scripts.test !== NPM_DEFAULT_TEST) commands.push('npm test');
  }
  if (paths.some((p) => /(^|\/)(test_[^/]*|[^/]*_test)\.py$/.test(p) || /^(pytest\.ini|conftest\.py)$/.test(p))) commands.push(PYTEST);
  return commands;
}

const exitCodeOf = (data: unknown) =>
  data && typeof data === 'object' && 'exitCode' in data ? (data as { exitCode: unknown }).exitCode : undefined;

/**
 * Runs the repository's tests through `run_command` (the gate, the command guard and the sandbox)
 * and turns each failing test into a finding at the test's file and line. A refused command is not
 * an error of the step: the summary and a `test/not-run` finding say which command and why.
 */
export const testRunner: DeterministicAgent = {
  name: 'test-runner',
  kind: 'deterministic',
  tier: null,
  purpose:
    "Runs the repository's test suites (npm test, pytest) in the sandbox and reports each failing test with its file, line and error.",
  tools: ['list_files', 'read_file', 'run_command'],
  // The two commands testCommands() builds; a template's `testCommand` naming another program is refused.
  programs: ['npm', 'python3'],
  budget: { maxSteps: 10, maxTokens: 0 },
  output: agentOutputSchema.extend({
    data: z.object({
      runs: z.array(
        z.object({
          command: z.string(),
          format: z.string().optional(),
          passed: z.number().int().optional(),
          failed: z.number().int().optional(),
          refused: z.string().optional(),
          exitCode: z.unknown().optional(),
        }),
      ),
    }),
  }),
  async run(ctx) {
    const paths = await listWorkspace(ctx);
    const commands = await testCommands(ctx, paths);
    const findings: Finding[] = [];
    const runs: Array<{ command: string; format?: string; passed?: number; failed?: number; refused?: string; exitCode?: unknown }> = [];
    for (const command of commands) {
      const out = await runRepositoryCommand(
        ctx,
        command,
        { timeoutMs: TIMEOUT_MS, rulePrefix: 'test', severity: 'medium', what: 'the tests were' },
        { runs, findings },
      );
      if (!out) continue;
      const report: TestReport = parseTestOutput(out.output, paths);
      const exitCode = exitCodeOf(out.data);
      runs.push({
        command,
        format: report.format,
        passed: report.passed,
        failed: report.failed,
        ...(exitCode !== undefined ? { exitCode } : {}),
      });
      for (const f of report.failures)
        findings.push(finding('test/failure', 'high', f.file, f.line, `failing test "${f.name}": ${f.message || 'see the test output'}`));
      if (report.failures.length === 0 && (report.format === 'unknown' || (typeof exitCode === 'number' && exitCode !== 0))) {
        findings.push(
          finding(
            'test/suite-error',
            'medium',
            '',
            0,
            `"${command}" ${typeof exitCode === 'number' ? `exited with ${exitCode}` : 'printed no result this agent can read'} and named no failing test`,
          ),
        );
      }
    }
    const ran = runs.filter((r) => !r.refused);
    const summary =
      commands.length === 0
        ? 'no test suite found'
        : `${ran.length} of ${commands.length} test commands run${notRunNote(runs)}: ${countBySeverity(findings)}`;
    return result(summary, findings, { runs });
  },
};
