import type { SyntaxNode } from '../types.ts';
import { lineOf, walk } from '../support/syntax.ts';

/** Declarations found on a syntax tree: what the indexer lists and the other agents build on. */
export type SymbolKind = 'function' | 'class' | 'method' | 'interface' | 'type' | 'enum' | 'variable';
export type CodeSymbol = {
  name: string;
  kind: SymbolKind;
  /** 1-based first and last line of the declaration. */
  line: number;
  endLine: number;
  /** Exported from its module (JS/TS `export`; Python: top level and not `_private`). */
  exported: boolean;
  /** Declared at the module's top level (not inside a function or class). */
  topLevel: boolean;
  /** The class a method belongs to. */
  container?: string;
};

const JS_DECLS: Record<string, SymbolKind> = {
  function_declaration: 'function',
  generator_function_declaration: 'function',
  class_declaration: 'class',
  abstract_class_declaration: 'class',
  interface_declaration: 'interface',
  type_alias_declaration: 'type',
  enum_declaration: 'enum',
};
const JS_FUNCTION_VALUES = new Set(['arrow_function', 'function_expression', 'function', 'generator_function']);
const JS_SCOPES = new Set([
  'function_declaration',
  'generator_function_declaration',
  'function_expression',
  'function',
  'arrow_function',
  'method_definition',
  'class_body',
]);

function isJsTopLevel(node: SyntaxNode): boolean {
  for (let p = node.parent; p; p = p.parent) if (JS_SCOPES.has(p.type)) return false;
  return true;
}
function isJsExported(node: SyntaxNode): boolean {
  let p = node.parent;
  if (p?.type === 'lexical_declaration' || p?.type === 'variable_declaration') p = p.parent;
  return p?.type === 'export_statement';
}

function jsSymbols(root: SyntaxNode): CodeSymbol[] {
  const out: CodeSymbol[] = [];
  walk(root, (n) => {
    const kind = JS_DECLS[n.type];
    const name = n.childForFieldName('name');
    if (kind && name) {
      out.push({
        name: name.text,
        kind,
        line: lineOf(n),
        endLine: n.endPosition.row + 1,
        exported: isJsExported(n),
        topLevel: isJsTopLevel(n),
      });
    } else if (n.type === 'method_definition' && name) {
      const cls = n.parent?.parent?.childForFieldName('name');
      out.push({
        name: name.text,
        kind: 'method',
        line: lineOf(n),
        endLine: n.endPosition.row + 1,
        exported: false,
        topLevel: false,
        ...(cls ? { container: cls.text } : {}),
      });
    } else if (n.type === 'variable_declarator' && name?.type === 'identifier') {
      const value = n.childForFieldName('value');
      const top = isJsTopLevel(n);
      // Module-level bindings and named function values; locals inside functions are not symbols.
      if (top || (value && JS_FUNCTION_VALUES.has(value.type))) {
        out.push({
          name: name.text,
          kind: value && JS_FUNCTION_VALUES.has(value.type) ? 'function' : 'variable',
          line: lineOf(n),
          endLine: n.endPosition.row + 1,
          exported: isJsExported(n),
          topLevel: top,
        });
      }
    }
    return undefined;
  });
  return out;
}

function pySymbols(root: SyntaxNode): CodeSymbol[] {
  const out: CodeSymbol[] = [];
  walk(root, (n) => {
    if (n.type !== 'function_definition' && n.type !== 'class_definition') return undefined;
    const name = n.childForFieldName('name');
    if (!name) return undefined;
    // A decorated definition starts at its first decorator.
    const decl = n.parent?.type === 'decorated_definition' ? n.parent : n;
    const scope = decl.parent?.type === 'block' ? decl.parent.parent : null;
    const topLevel = decl.parent?.type === 'module';
    const inClass = scope?.type === 'class_definition';
    out.push({
      name: name.text,
      kind: n.type === 'class_definition' ? 'class' : inClass ? 'method' : 'function',
      line: lineOf(decl),
      endLine: n.endPosition.row + 1,
      exported: topLevel && !name.text.startsWith('_'),
      topLevel,
      ...(inClass ? { container: scope.childForFieldName('name')?.text ?? '' } : {}),
    });
    return undefined;
  });
  return out;
}

/** The declarations of one parsed file, in source order. */
export function symbolsOf(root: SyntaxNode, language: string): CodeSymbol[] {
  return language === 'python' ? pySymbols(root) : language === 'bash' ? [] : jsSymbols(root);
}
