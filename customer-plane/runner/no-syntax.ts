import type { SyntaxService } from '../../agents/types.ts';

/** The syntax service until tree-sitter is wired (customer-plane/analysis/): it knows no languages. */
export function createNoSyntax(): SyntaxService {
  return { languages: () => [], languageOf: () => undefined, parse: () => undefined };
}
