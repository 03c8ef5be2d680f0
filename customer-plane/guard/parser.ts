import { createRequire } from 'node:module';
import { Language, Parser } from 'web-tree-sitter';

const require = createRequire(import.meta.url);

/**
 * A tree-sitter parser for bash. Both wasm files ship inside the npm packages (web-tree-sitter's
 * runtime, tree-sitter-bash's grammar), so this works offline. Loading takes tens of milliseconds; a
 * parse of an agent's command line takes tens of microseconds.
 */
export async function createBashParser(): Promise<Parser> {
  await Parser.init();
  const bash = await Language.load(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm'));
  const parser = new Parser();
  parser.setLanguage(bash);
  return parser;
}
