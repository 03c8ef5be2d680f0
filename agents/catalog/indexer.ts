import { extname } from 'node:path';
import { agentOutputSchema, type AgentOutput, type DeterministicAgent } from '../types.ts';

const MAX_FILES = 2000;

/** Reads the workspace and builds a local index: files by language and line counts. No LLM. */
export const indexer: DeterministicAgent = {
  name: 'indexer',
  kind: 'deterministic',
  tier: null,
  purpose: 'Indexes the repository: files, languages and sizes, for the agents after it.',
  tools: ['list_files', 'read_file'],
  budget: { maxSteps: MAX_FILES + 1, maxTokens: 0 },
  output: agentOutputSchema,
  async run(ctx): Promise<AgentOutput> {
    const listed = await ctx.tools.call('list_files', { maxFiles: MAX_FILES });
    if (!listed.ok) throw new Error(`list_files refused: ${listed.reason}`);
    const paths = listed.output.split('\n').filter(Boolean);
    const files: Array<{ path: string; lang: string; lines: number }> = [];
    for (const path of paths) {
      const read = await ctx.tools.call('read_file', { path });
      if (!read.ok) continue; // too large or unreadable: left out of the index
      files.push({ path, lang: extname(path).slice(1) || 'none', lines: read.output.split('\n').length });
    }
    return { summary: `${files.length} files indexed`, findings: [], patches: [], data: { files, skipped: paths.length - files.length } };
  },
};
