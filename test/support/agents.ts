import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AgentRunOptions, createGatedFixtures, type GatedFixtures } from '../../bench/support/gated-toolbox.ts';
import { loadExpected, scoreFindings, type Score } from '../../bench/support/score.ts';
import type { AgentOutput, DeterministicAgent, SyntaxService } from '../../agents/types.ts';

/**
 * Shared setup for the agents' tests: the deterministic agents run on the fixture repositories as
 * production runs them — a real workspace, the gate, the executors, the command guard and the
 * sandboxed runner (bench/support/gated-toolbox.ts) — and are scored against each fixture's
 * expected.json. One set per test process, removed when it exits.
 */
export const REPOS = fileURLToPath(new URL('../fixtures/repos/', import.meta.url));
export const COMMAND_OUTPUTS = fileURLToPath(new URL('../fixtures/command-outputs/', import.meta.url));

let fixtures: Promise<GatedFixtures> | undefined;
export function gatedFixtures(): Promise<GatedFixtures> {
  if (!fixtures) {
    fixtures = createGatedFixtures();
    void fixtures.then((f) => process.once('exit', () => f.dispose()));
  }
  return fixtures;
}

export async function syntaxService(): Promise<SyntaxService> {
  return (await gatedFixtures()).syntax;
}

export type RunOptions = AgentRunOptions;

/** The agent on a fixture (a name under test/fixtures/repos, or an absolute path) in a fresh workspace. */
export async function runOnFixture(agent: DeterministicAgent, repo: string, opts: RunOptions = {}): Promise<AgentOutput> {
  return (await gatedFixtures()).run(agent, repo, opts);
}

/** The agent's findings on a fixture scored against its expected.json. */
export async function scoreOnFixture(
  agent: DeterministicAgent,
  repo: string,
  opts: RunOptions = {},
): Promise<Score & { output: AgentOutput }> {
  const output = await runOnFixture(agent, repo, opts);
  return { ...scoreFindings(agent.name, output.findings, loadExpected(join(REPOS, repo))), output };
}
