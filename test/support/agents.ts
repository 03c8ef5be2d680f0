import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtureStepContext, type RecordedCall } from '../../bench/support/fixture-toolbox.ts';
import { loadExpected, scoreFindings, type Score } from '../../bench/support/score.ts';
import { createSyntaxService } from '../../customer-plane/analysis/syntax.ts';
import type { AgentDefinition, AgentOutput, DeterministicAgent, SyntaxService, ToolBox } from '../../agents/types.ts';

/** Shared setup for the agents' tests: the real syntax service (loaded once), fixture repositories and their expected findings. */
export const REPOS = fileURLToPath(new URL('../fixtures/repos/', import.meta.url));
export const COMMAND_OUTPUTS = fileURLToPath(new URL('../fixtures/command-outputs/', import.meta.url));

let syntax: Promise<SyntaxService> | undefined;
export function syntaxService(): Promise<SyntaxService> {
  syntax ??= createSyntaxService();
  return syntax;
}

export async function runOnFixture(
  agent: DeterministicAgent,
  repo: string,
  opts: { tools?: ToolBox; inputs?: Record<string, AgentOutput>; params?: Record<string, string>; calls?: RecordedCall[] } = {},
): Promise<AgentOutput> {
  const ctx = fixtureStepContext({ root: join(REPOS, repo), agent, syntax: await syntaxService(), ...opts });
  const out = await agent.run(ctx);
  // Every output must pass the agent's own schema, as the runtime checks it before recording.
  (agent as AgentDefinition).output.parse(out);
  return out;
}

/** The agent's findings on a fixture scored against its expected.json. */
export async function scoreOnFixture(
  agent: DeterministicAgent,
  repo: string,
  opts: Parameters<typeof runOnFixture>[2] = {},
): Promise<Score & { output: AgentOutput }> {
  const output = await runOnFixture(agent, repo, opts);
  return { ...scoreFindings(agent.name, output.findings, loadExpected(join(REPOS, repo))), output };
}
