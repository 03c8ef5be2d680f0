import { createRequire } from 'node:module';
import { Language, Parser } from 'web-tree-sitter';
import type { SyntaxService, SyntaxTree } from '../../agents/types.ts';

/**
 * Syntax trees for the deterministic agents: web-tree-sitter with the grammar wasm files the grammar
 * packages ship on npm (pinned in package-lock.json), so parsing works offline and no native build
 * runs at install. Grammars load once per process; `parse` is synchronous after that.
 */

/** Language name → the wasm file inside its npm package. */
const GRAMMARS = {
  javascript: 'tree-sitter-javascript/tree-sitter-javascript.wasm',
  typescript: 'tree-sitter-typescript/tree-sitter-typescript.wasm',
  tsx: 'tree-sitter-typescript/tree-sitter-tsx.wasm',
  python: 'tree-sitter-python/tree-sitter-python.wasm',
  bash: 'tree-sitter-bash/tree-sitter-bash.wasm',
} as const;
export type SyntaxLanguage = keyof typeof GRAMMARS;

const EXTENSIONS: Record<string, SyntaxLanguage> = {
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.jsx': 'javascript',
  '.ts': 'typescript',
  '.mts': 'typescript',
  '.cts': 'typescript',
  '.tsx': 'tsx',
  '.py': 'python',
  '.pyi': 'python',
  '.sh': 'bash',
  '.bash': 'bash',
};

/** Text larger than this is not parsed (minified bundles, generated files): the agents skip it. */
const MAX_PARSE_BYTES = 2 * 1024 * 1024;

export type SyntaxServiceOptions = { languages?: readonly SyntaxLanguage[] };

export async function createSyntaxService(opts: SyntaxServiceOptions = {}): Promise<SyntaxService> {
  const require = createRequire(import.meta.url);
  await Parser.init();
  const wanted = opts.languages ?? (Object.keys(GRAMMARS) as SyntaxLanguage[]);
  const parsers = new Map<string, Parser>();
  for (const name of wanted) {
    const language = await Language.load(require.resolve(GRAMMARS[name]));
    const parser = new Parser();
    parser.setLanguage(language);
    parsers.set(name, parser);
  }
  const names = [...parsers.keys()];
  return {
    languages: () => names,
    languageOf(path) {
      const dot = path.lastIndexOf('.');
      if (dot < 0 || dot < path.lastIndexOf('/')) return undefined;
      const language = EXTENSIONS[path.slice(dot).toLowerCase()];
      return language && parsers.has(language) ? language : undefined;
    },
    parse(language, text): SyntaxTree | undefined {
      const parser = parsers.get(language);
      if (!parser || Buffer.byteLength(text) > MAX_PARSE_BYTES) return undefined;
      // web-tree-sitter's Node has every member SyntaxNode names; the cast only narrows the type.
      return (parser.parse(text) ?? undefined) as SyntaxTree | undefined;
    },
  };
}
