import type { SyntaxNode } from '../types.ts';
import { stringContent, walk } from '../support/syntax.ts';

/** Scopes and bindings of a JavaScript/TypeScript syntax tree: what a name refers to, and which names are sink modules. */

const FUNCTIONS = new Set([
  'function_declaration',
  'generator_function_declaration',
  'function_expression',
  'function',
  'arrow_function',
  'method_definition',
]);
const WRAPPERS = new Set([
  'parenthesized_expression',
  'as_expression',
  'non_null_expression',
  'satisfies_expression',
  'type_assertion',
  'await_expression',
]);
export function unwrap(node: SyntaxNode): SyntaxNode {
  let n = node;
  while (WRAPPERS.has(n.type) && n.namedChildren.length > 0)
    n = n.namedChildren[n.type === 'as_expression' || n.type === 'satisfies_expression' ? 0 : n.namedChildren.length - 1];
  return n;
}
export function args(call: SyntaxNode): SyntaxNode[] {
  const a = call.childForFieldName('arguments');
  return a ? a.namedChildren.filter((c) => c.type !== 'comment') : [];
}
export function calleeName(call: SyntaxNode): string {
  const fn = call.childForFieldName('function') ?? call.childForFieldName('constructor');
  if (!fn) return '';
  return fn.type === 'member_expression' ? (fn.childForFieldName('property')?.text ?? '') : fn.text;
}

/** Names bound to the modules whose functions are sinks: `import cp from 'child_process'`, `const { exec } = require('node:child_process')`. */
export type ModuleBindings = { modules: Map<string, string>; functions: Map<string, { module: string; name: string }> };

function moduleOf(spec: string): string | undefined {
  const m = spec.replace(/^node:/, '');
  return m === 'child_process' || m === 'vm' ? m : undefined;
}

export function collectBindings(root: SyntaxNode): ModuleBindings {
  const b: ModuleBindings = { modules: new Map(), functions: new Map() };
  walk(root, (n) => {
    if (n.type === 'import_statement') {
      const source = n.childForFieldName('source');
      const mod = source && moduleOf(stringContent(source));
      if (!mod) return false;
      walk(n, (c) => {
        if (c.type === 'import_clause')
          for (const id of c.namedChildren.filter((x) => x.type === 'identifier')) b.modules.set(id.text, mod);
        if (c.type === 'namespace_import')
          for (const id of c.namedChildren.filter((x) => x.type === 'identifier')) b.modules.set(id.text, mod);
        if (c.type === 'import_specifier') {
          const name = c.childForFieldName('name')?.text ?? '';
          b.functions.set(c.childForFieldName('alias')?.text ?? name, { module: mod, name });
        }
      });
      return false;
    }
    if (n.type === 'variable_declarator') {
      const value = n.childForFieldName('value');
      if (value?.type !== 'call_expression' || value.childForFieldName('function')?.text !== 'require') return undefined;
      const spec = args(value)[0];
      const mod = spec?.type === 'string' ? moduleOf(stringContent(spec)) : undefined;
      const name = n.childForFieldName('name');
      if (!mod || !name) return undefined;
      if (name.type === 'identifier') b.modules.set(name.text, mod);
      for (const p of name.namedChildren) {
        if (p.type === 'shorthand_property_identifier_pattern') b.functions.set(p.text, { module: mod, name: p.text });
        if (p.type === 'pair_pattern')
          b.functions.set(p.childForFieldName('value')?.text ?? '', { module: mod, name: p.childForFieldName('key')?.text ?? '' });
      }
    }
    return undefined;
  });
  return b;
}

/** True when a parameter list (or a single parameter) binds `name`, destructured or not. */
function bindsName(params: SyntaxNode, name: string): boolean {
  let found = false;
  walk(params, (n) => {
    if (n.type === 'type_annotation' || n.type === 'default_value') return false;
    if ((n.type === 'identifier' || n.type === 'shorthand_property_identifier_pattern') && n.text === name) found = true;
    return !found;
  });
  return found;
}

/** The declarations and assignments of `name` visible from `at` (innermost function that binds it, then outwards). */
export function definitions(name: string, at: SyntaxNode): { values: SyntaxNode[]; parameter: boolean } {
  for (let scope: SyntaxNode | null = at.parent; scope; scope = scope.parent) {
    if (!FUNCTIONS.has(scope.type) && scope.type !== 'program') continue;
    const params = scope.childForFieldName('parameters') ?? scope.childForFieldName('parameter');
    if (params && bindsName(params, name)) return { values: [], parameter: true };
    const values: SyntaxNode[] = [];
    walk(scope, (n) => {
      if (n !== scope && FUNCTIONS.has(n.type)) return false;
      if (n.type === 'variable_declarator' && n.childForFieldName('name')?.text === name) {
        const v = n.childForFieldName('value');
        if (v) values.push(v);
      }
      if (
        (n.type === 'assignment_expression' || n.type === 'augmented_assignment_expression') &&
        n.childForFieldName('left')?.text === name
      ) {
        const v = n.childForFieldName('right');
        if (v) values.push(v);
      }
      return undefined;
    });
    if (values.length > 0) return { values, parameter: false };
  }
  return { values: [], parameter: false };
}
