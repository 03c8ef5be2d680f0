import type { SyntaxNode } from '../types.ts';
import { lineOf, stringContent, walk } from '../support/syntax.ts';

/** Module-level facts for dead-code analysis: what a file exports, imports and references, and what never runs. */

export type ModuleFacts = {
  /** Exported names with the line of their declaration. */
  exports: Map<string, number>;
  /** Relative module specifiers with the names taken from them; '*' = the whole module (namespace, default, require, dynamic). */
  imports: Array<{ spec: string; names: string[] }>;
  /** How often each identifier occurs (declaration names included). */
  identifierCounts: Map<string, number>;
  /** Top-level functions not exported, with their line. */
  privateFunctions: Map<string, number>;
  /** Lines of the first statement after a return/throw/break/continue in the same block. */
  unreachable: number[];
};

const IDENTIFIERS = new Set(['identifier', 'shorthand_property_identifier', 'type_identifier', 'shorthand_property_identifier_pattern']);
const JS_TERMINATORS = new Set(['return_statement', 'throw_statement', 'break_statement', 'continue_statement']);
const PY_TERMINATORS = new Set(['return_statement', 'raise_statement', 'break_statement', 'continue_statement']);
const HOISTED = new Set(['function_declaration', 'generator_function_declaration', 'class_declaration', 'comment', 'empty_statement']);

function unreachableIn(root: SyntaxNode, blockTypes: Set<string>, terminators: Set<string>): number[] {
  const lines: number[] = [];
  walk(root, (n) => {
    if (!blockTypes.has(n.type)) return undefined;
    const stmts = n.namedChildren.filter((c) => !HOISTED.has(c.type));
    const stop = stmts.findIndex((s) => terminators.has(s.type));
    if (stop >= 0 && stop < stmts.length - 1) lines.push(lineOf(stmts[stop + 1]));
    return undefined;
  });
  return lines;
}

function countIdentifiers(root: SyntaxNode, extra: Set<string> = new Set()): Map<string, number> {
  const counts = new Map<string, number>();
  walk(root, (n) => {
    if (IDENTIFIERS.has(n.type) || extra.has(n.type)) counts.set(n.text, (counts.get(n.text) ?? 0) + 1);
  });
  return counts;
}

export function jsModuleFacts(root: SyntaxNode): ModuleFacts {
  const facts: ModuleFacts = {
    exports: new Map(),
    imports: [],
    identifierCounts: countIdentifiers(root),
    privateFunctions: new Map(),
    unreachable: unreachableIn(root, new Set(['statement_block', 'switch_case']), JS_TERMINATORS),
  };
  for (const stmt of root.namedChildren) {
    if (stmt.type === 'export_statement') {
      const decl = stmt.childForFieldName('declaration');
      if (stmt.text.startsWith('export default')) continue; // a module's default export is its public face
      if (decl?.childForFieldName('name')) facts.exports.set(decl.childForFieldName('name')!.text, lineOf(stmt));
      for (const d of decl?.namedChildren ?? [])
        if (d.type === 'variable_declarator' && d.childForFieldName('name')?.type === 'identifier')
          facts.exports.set(d.childForFieldName('name')!.text, lineOf(stmt));
      if (stmt.childForFieldName('source')) facts.imports.push({ spec: stringContent(stmt.childForFieldName('source')!), names: ['*'] });
    } else if (stmt.type === 'function_declaration' || stmt.type === 'generator_function_declaration') {
      const name = stmt.childForFieldName('name');
      if (name) facts.privateFunctions.set(name.text, lineOf(stmt));
    }
  }
  walk(root, (n) => {
    if (n.type === 'import_statement') {
      const source = n.childForFieldName('source');
      if (!source) return false;
      const names: string[] = [];
      walk(n, (c) => {
        if (c.type === 'import_specifier') names.push(c.childForFieldName('name')?.text ?? '*');
        if (c.type === 'namespace_import' || (c.type === 'identifier' && c.parent?.type === 'import_clause')) names.push('*');
      });
      facts.imports.push({ spec: stringContent(source), names: names.length ? names : ['*'] });
      return false;
    }
    if (n.type === 'call_expression') {
      const fn = n.childForFieldName('function');
      const arg = n.childForFieldName('arguments')?.namedChildren[0];
      if ((fn?.text === 'require' || fn?.type === 'import') && arg?.type === 'string') {
        const target = n.parent?.type === 'variable_declarator' ? n.parent.childForFieldName('name') : null;
        const names =
          target?.type === 'object_pattern'
            ? target.namedChildren.map((p) => (p.type === 'pair_pattern' ? (p.childForFieldName('key')?.text ?? '*') : p.text))
            : ['*'];
        facts.imports.push({ spec: stringContent(arg), names });
      }
    }
    return undefined;
  });
  return facts;
}

export function pyModuleFacts(root: SyntaxNode): ModuleFacts {
  const facts: ModuleFacts = {
    exports: new Map(),
    imports: [],
    identifierCounts: countIdentifiers(root),
    privateFunctions: new Map(),
    unreachable: unreachableIn(root, new Set(['block']), PY_TERMINATORS),
  };
  for (const stmt of root.namedChildren) {
    // Decorated definitions are registered by their decorator (routes, fixtures, commands): used by construction.
    if (stmt.type === 'function_definition' || stmt.type === 'class_definition') {
      const name = stmt.childForFieldName('name')!.text;
      if (!name.startsWith('__')) facts.exports.set(name, lineOf(stmt));
    }
  }
  return facts;
}
