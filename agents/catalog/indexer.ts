import { z } from 'zod';
import { languageOfPath } from '../analysis/languages.ts';
import { type CodeSymbol, symbolsOf } from '../analysis/symbols.ts';
import { listWorkspace, readText, result } from '../support/workspace.ts';
import { withTree } from '../support/syntax.ts';
import { agentOutputSchema, type DeterministicAgent } from '../types.ts';

const MAX_SYMBOLS = 50_000;

const symbolSchema = z.object({
  file: z.string(),
  name: z.string(),
  kind: z.string(),
  line: z.number().int(),
  endLine: z.number().int(),
  exported: z.boolean(),
  topLevel: z.boolean(),
  container: z.string().optional(),
});
export const indexData = z.object({
  files: z.array(z.object({ path: z.string(), language: z.string(), lines: z.number().int(), bytes: z.number().int() })),
  languages: z.record(z.string(), z.object({ files: z.number().int(), lines: z.number().int() })),
  symbols: z.array(symbolSchema),
  /** Files listed but not read (refused by the gate, binary) — by path, so nothing is silently missing. */
  skipped: z.array(z.string()),
  symbolsTruncated: z.boolean(),
});
export type IndexData = z.infer<typeof indexData>;

/** Reads the workspace and builds a local index: files, languages and the symbols each file declares. No LLM. */
export const indexer: DeterministicAgent = {
  name: 'indexer',
  kind: 'deterministic',
  tier: null,
  purpose:
    'Indexes the repository — files, languages, line counts and the declared symbols of every parsed file — for the agents after it.',
  tools: ['list_files', 'read_file'],
  budget: { maxSteps: 5001, maxTokens: 0 },
  output: agentOutputSchema.extend({ data: indexData }),
  async run(ctx) {
    const paths = await listWorkspace(ctx);
    const data: IndexData = { files: [], languages: {}, symbols: [], skipped: [], symbolsTruncated: false };
    for (const path of paths) {
      const text = await readText(ctx, path);
      if (text === undefined) {
        data.skipped.push(path);
        continue;
      }
      const language = ctx.syntax.languageOf(path) ?? languageOfPath(path);
      const lines = text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
      data.files.push({ path, language, lines, bytes: Buffer.byteLength(text) });
      const lang = (data.languages[language] ??= { files: 0, lines: 0 });
      lang.files++;
      lang.lines += lines;
      const symbols = withTree(ctx, path, text, (root, language) => symbolsOf(root, language)) ?? [];
      for (const s of symbols as CodeSymbol[]) {
        if (data.symbols.length >= MAX_SYMBOLS) {
          data.symbolsTruncated = true;
          break;
        }
        data.symbols.push({ file: path, ...s });
      }
    }
    const top = Object.entries(data.languages)
      .sort((a, b) => b[1].lines - a[1].lines)
      .slice(0, 5)
      .map(([l, v]) => `${l} ${v.files}`)
      .join(', ');
    const summary = `${data.files.length} files indexed (${top || 'none'}), ${data.symbols.length} symbols${data.skipped.length ? `, ${data.skipped.length} skipped` : ''}`;
    return result(summary, [], data);
  },
};
