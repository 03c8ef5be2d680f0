import type { SyntaxNode } from '../types.ts';
import { lineOf, stringContent, walk } from '../support/syntax.ts';
import {
  type Analysis,
  analyseName,
  type InjectionHit,
  isSanitizerName,
  looksLikeHtml,
  looksLikeSql,
  type Shape,
  UNKNOWN_VALUE,
} from './injection-common.ts';

/** Injection sinks in Python, found on the tree-sitter syntax tree. */

const SCOPES = new Set(['function_definition', 'lambda', 'class_definition']);
const SQL_METHODS = new Set(['execute', 'executemany', 'executescript', 'raw', 'read_sql', 'read_sql_query', 'text']);
const SUBPROCESS_FUNCTIONS = new Set(['run', 'call', 'check_call', 'check_output', 'Popen']);
const SHELL_ALWAYS = new Map([
  ['os', new Set(['system', 'popen'])],
  ['subprocess', new Set(['getoutput', 'getstatusoutput'])],
]);
const ROUTE_DECORATORS = new Set(['route', 'get', 'post', 'put', 'patch', 'delete']);
const HTML_WRAPPERS = new Set(['Markup', 'mark_safe', 'HTMLResponse', 'make_response']);

const UNKNOWN = UNKNOWN_VALUE;

function args(call: SyntaxNode): { positional: SyntaxNode[]; keywords: Map<string, SyntaxNode> } {
  const list = call.childForFieldName('arguments');
  const positional: SyntaxNode[] = [];
  const keywords = new Map<string, SyntaxNode>();
  for (const a of list?.namedChildren ?? []) {
    if (a.type === 'keyword_argument') keywords.set(a.childForFieldName('name')?.text ?? '', a.childForFieldName('value')!);
    else if (a.type !== 'comment') positional.push(a);
  }
  return { positional, keywords };
}
function calleeName(call: SyntaxNode): string {
  const fn = call.childForFieldName('function');
  if (fn?.type === 'attribute') return fn.childForFieldName('attribute')?.text ?? '';
  return fn?.text ?? '';
}

/** `import subprocess as sp`, `from os import system`: local names of the modules and functions that are sinks. */
function collectImports(root: SyntaxNode): { modules: Map<string, string>; functions: Map<string, [string, string]> } {
  const modules = new Map<string, string>();
  const functions = new Map<string, [string, string]>();
  for (const n of root.namedChildren) {
    if (n.type === 'import_statement') {
      for (const c of n.namedChildren) {
        const name = c.type === 'aliased_import' ? c.childForFieldName('name')?.text : c.text;
        const alias = c.type === 'aliased_import' ? c.childForFieldName('alias')?.text : c.text;
        if (name && alias) modules.set(alias, name);
      }
    } else if (n.type === 'import_from_statement') {
      const mod = n.childForFieldName('module_name')?.text ?? '';
      for (const c of n.namedChildren.slice(1)) {
        const name = c.type === 'aliased_import' ? c.childForFieldName('name')?.text : c.text;
        const alias = c.type === 'aliased_import' ? c.childForFieldName('alias')?.text : c.text;
        if (name && alias) functions.set(alias, [mod, name]);
      }
    }
  }
  return { modules, functions };
}

/** Values assigned to `name` in the innermost scope that assigns it (function, then module). */
function definitions(name: string, at: SyntaxNode): { values: SyntaxNode[]; parameter: boolean } {
  for (let scope: SyntaxNode | null = at.parent; scope; scope = scope.parent) {
    if (scope.type !== 'function_definition' && scope.type !== 'module') continue;
    const params = scope.childForFieldName('parameters');
    let isParam = false;
    if (params) walk(params, (p) => void (p.type === 'identifier' && p.text === name && (isParam = true)));
    if (isParam) return { values: [], parameter: true };
    const values: SyntaxNode[] = [];
    walk(scope, (n) => {
      if (n !== scope && SCOPES.has(n.type)) return false;
      if ((n.type === 'assignment' || n.type === 'augmented_assignment') && n.childForFieldName('left')?.text === name) {
        const v = n.childForFieldName('right');
        if (v) values.push(v);
      }
      return undefined;
    });
    if (values.length > 0) return { values, parameter: false };
  }
  return { values: [], parameter: false };
}

function analyse(node: SyntaxNode, depth = 0): Analysis {
  const n = node.type === 'parenthesized_expression' && node.namedChildren[0] ? node.namedChildren[0] : node;
  switch (n.type) {
    case 'string': {
      const parts = n.namedChildren
        .filter((c) => c.type === 'interpolation')
        .map((i) => analyse(i.childForFieldName('expression') ?? i, depth));
      const literal = stringContent(n);
      if (parts.length === 0) return { shape: 'const', literal, unsanitized: false };
      return {
        shape: parts.every((p) => p.shape === 'const') ? 'const' : 'built',
        literal: literal + parts.map((p) => p.literal).join(''),
        unsanitized: parts.some((p) => p.shape !== 'const' && p.unsanitized),
      };
    }
    case 'concatenated_string':
      return combine(n.namedChildren.map((c) => analyse(c, depth)));
    case 'integer':
    case 'float':
    case 'true':
    case 'false':
    case 'none':
      return { shape: 'const', literal: '', unsanitized: false };
    case 'binary_operator': {
      const op = n.childForFieldName('operator')?.text;
      if (op !== '+' && op !== '%') return UNKNOWN;
      return combine([analyse(n.childForFieldName('left')!, depth), analyse(n.childForFieldName('right')!, depth)]);
    }
    case 'identifier':
      return analyseName(depth, () => definitions(n.text, n).values, analyse);
    case 'call': {
      const name = calleeName(n);
      if (isSanitizerName(name)) return { shape: 'unknown', literal: '', unsanitized: false };
      const fn = n.childForFieldName('function');
      if ((name === 'format' || name === 'join') && fn?.type === 'attribute') {
        const { positional, keywords } = args(n);
        return combine([
          analyse(fn.childForFieldName('object')!, depth),
          ...[...positional, ...keywords.values()].map((a) => analyse(a, depth)),
        ]);
      }
      return UNKNOWN;
    }
    default:
      return UNKNOWN;
  }
}

function combine(parts: Analysis[]): Analysis {
  const shape: Shape = parts.every((p) => p.shape === 'const') ? 'const' : 'built';
  return { shape, literal: parts.map((p) => p.literal).join(''), unsanitized: parts.some((p) => p.shape !== 'const' && p.unsanitized) };
}

/** A function decorated as a web route (`@app.route`, `@router.get`, …). */
function isRouteHandler(fn: SyntaxNode): boolean {
  const decorated = fn.parent?.type === 'decorated_definition' ? fn.parent : null;
  return !!decorated?.namedChildren.some((d) => {
    if (d.type !== 'decorator') return false;
    let e = d.namedChildren[0];
    if (e?.type === 'call') e = e.childForFieldName('function') ?? e;
    return e?.type === 'attribute' && ROUTE_DECORATORS.has(e.childForFieldName('attribute')?.text ?? '');
  });
}

export function scanPython(root: SyntaxNode): InjectionHit[] {
  const { modules, functions } = collectImports(root);
  const hits: InjectionHit[] = [];
  const hit = (rule: InjectionHit['rule'], severity: InjectionHit['severity'], node: SyntaxNode, message: string) =>
    hits.push({ rule, severity, line: lineOf(node), message });
  /** [module, function] a call reaches through the file's imports, e.g. ['subprocess', 'run']. */
  const target = (call: SyntaxNode): [string, string] => {
    const fn = call.childForFieldName('function');
    if (fn?.type === 'identifier') return functions.get(fn.text) ?? ['', fn.text];
    if (fn?.type === 'attribute')
      return [modules.get(fn.childForFieldName('object')?.text ?? '') ?? '', fn.childForFieldName('attribute')?.text ?? ''];
    return ['', ''];
  };
  walk(root, (n) => {
    if (n.type === 'call') {
      const { positional, keywords } = args(n);
      const [mod, fname] = target(n);
      const first = positional[0];
      const fn = n.childForFieldName('function');
      if (!first) return undefined;
      if (fn?.type === 'identifier' && (fname === 'eval' || fname === 'exec') && mod === '' && analyse(first).shape !== 'const') {
        hit('injection/code-eval', 'high', n, `${fname}() runs a string that is not constant as code`);
      } else if (SHELL_ALWAYS.get(mod)?.has(fname) && analyse(first).shape !== 'const') {
        hit(
          'injection/shell',
          'high',
          n,
          `${mod}.${fname}() runs a command string built at run time through a shell; use subprocess.run with an argument list`,
        );
      } else if (
        mod === 'subprocess' &&
        SUBPROCESS_FUNCTIONS.has(fname) &&
        keywords.get('shell')?.text === 'True' &&
        analyse(first).shape !== 'const'
      ) {
        hit('injection/shell', 'high', n, `subprocess.${fname}(shell=True) runs a command string that is not constant through a shell`);
      } else if (fname === 'render_template_string' && analyse(first).shape !== 'const') {
        hit(
          'injection/template',
          'high',
          n,
          'render_template_string() renders a template built from values that are not constant (server-side template injection)',
        );
      } else if (SQL_METHODS.has(calleeName(n))) {
        const v = analyse(first);
        if (v.shape === 'built' && looksLikeSql(v.literal))
          hit(
            'injection/sql',
            'high',
            n,
            `SQL text built from strings is passed to ${calleeName(n)}(); pass parameters separately (placeholders)`,
          );
      } else if (HTML_WRAPPERS.has(calleeName(n))) {
        const v = analyse(first);
        if (
          v.shape !== 'const' &&
          v.unsanitized &&
          (calleeName(n) === 'Markup' || calleeName(n) === 'mark_safe' || looksLikeHtml(v.literal))
        ) {
          hit('injection/html', 'high', n, `${calleeName(n)}() marks markup built from values that are not escaped as safe HTML`);
        }
      }
    } else if (n.type === 'return_statement' && n.namedChildren[0]) {
      let fn: SyntaxNode | null = n.parent;
      while (fn && fn.type !== 'function_definition') fn = fn.parent;
      if (fn && isRouteHandler(fn)) {
        const v = analyse(n.namedChildren[0]);
        if (v.shape === 'built' && v.unsanitized && looksLikeHtml(v.literal))
          hit('injection/html', 'high', n, 'a route returns HTML built from values that are not escaped');
      }
    }
    return undefined;
  });
  return hits;
}
