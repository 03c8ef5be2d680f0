import type { StepContext, SyntaxNode } from '../types.ts';

/** Helpers over the syntax trees `ctx.syntax` gives; no I/O. */

/** 1-based line where a node starts. */
export function lineOf(node: SyntaxNode): number {
  return node.startPosition.row + 1;
}

/** Depth-first, in source order. `visit` returning false skips the node's children. */
export function walk(node: SyntaxNode, visit: (node: SyntaxNode) => boolean | undefined | void): void {
  const stack: SyntaxNode[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (visit(n) === false) continue;
    const kids = n.namedChildren;
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
  }
}

/** Every named descendant of one of `types`, in source order. */
export function findAll(node: SyntaxNode, types: ReadonlySet<string> | string): SyntaxNode[] {
  const match = typeof types === 'string' ? (t: string) => t === types : (t: string) => types.has(t);
  const out: SyntaxNode[] = [];
  walk(node, (n) => {
    if (match(n.type)) out.push(n);
  });
  return out;
}

/**
 * Parses `text` as the language of `path` and calls `fn` with the root; the tree's memory (wasm heap)
 * is released afterwards whatever `fn` does. Undefined when the language has no grammar.
 */
export function withTree<T>(
  ctx: Pick<StepContext, 'syntax'>,
  path: string,
  text: string,
  fn: (root: SyntaxNode, language: string) => T,
): T | undefined {
  const language = ctx.syntax.languageOf(path);
  if (!language) return undefined;
  return withTreeOf(ctx, language, text, (root) => fn(root, language));
}

export function withTreeOf<T>(
  ctx: Pick<StepContext, 'syntax'>,
  language: string,
  text: string,
  fn: (root: SyntaxNode) => T,
): T | undefined {
  const tree = ctx.syntax.parse(language, text);
  if (!tree) return undefined;
  try {
    return fn(tree.rootNode);
  } finally {
    tree.delete?.();
  }
}

/** The inner text of a string literal node (JS `string`/`template_string`, Python `string`), without quotes. */
export function stringContent(node: SyntaxNode): string {
  return node.namedChildren
    .filter((c) => c.type === 'string_fragment' || c.type === 'string_content' || c.type === 'escape_sequence')
    .map((c) => c.text)
    .join('');
}
