import type { SyntaxNode } from '../types.ts';
import { lineOf, walk } from '../support/syntax.ts';

/** Cyclomatic complexity (McCabe: 1 + decision points) and nesting depth per function, on the syntax tree. */
export type FunctionMetrics = { name: string; line: number; lines: number; complexity: number; nesting: number };

const JS_FUNCTIONS = new Set([
  'function_declaration',
  'generator_function_declaration',
  'function_expression',
  'function',
  'arrow_function',
  'method_definition',
]);
const PY_FUNCTIONS = new Set(['function_definition']);
const JS_DECISIONS = new Set([
  'if_statement',
  'for_statement',
  'for_in_statement',
  'while_statement',
  'do_statement',
  'switch_case',
  'catch_clause',
  'ternary_expression',
]);
const PY_DECISIONS = new Set([
  'if_statement',
  'elif_clause',
  'for_statement',
  'while_statement',
  'except_clause',
  'conditional_expression',
  'if_clause',
  'case_clause',
]);
const JS_NESTING = new Set([
  'if_statement',
  'for_statement',
  'for_in_statement',
  'while_statement',
  'do_statement',
  'switch_statement',
  'try_statement',
]);
const PY_NESTING = new Set(['if_statement', 'for_statement', 'while_statement', 'try_statement', 'with_statement', 'match_statement']);
const JS_LOGICAL = new Set(['&&', '||', '??']);

function jsName(fn: SyntaxNode): string {
  const own = fn.childForFieldName('name');
  if (own) return own.text;
  const p = fn.parent;
  if (p?.type === 'variable_declarator') return p.childForFieldName('name')?.text ?? '<anonymous>';
  if (p?.type === 'pair') return p.childForFieldName('key')?.text ?? '<anonymous>';
  if (p?.type === 'assignment_expression') return p.childForFieldName('left')?.text ?? '<anonymous>';
  return '<anonymous>';
}

export function functionMetrics(root: SyntaxNode, language: string): FunctionMetrics[] {
  const py = language === 'python';
  const functions = py ? PY_FUNCTIONS : JS_FUNCTIONS;
  const decisions = py ? PY_DECISIONS : JS_DECISIONS;
  const nestingTypes = py ? PY_NESTING : JS_NESTING;
  const out: FunctionMetrics[] = [];
  walk(root, (fn) => {
    if (!functions.has(fn.type)) return undefined;
    let complexity = 1;
    let nesting = 0;
    // Visit the body with depth; nested functions are measured on their own, not here.
    const stack: Array<[SyntaxNode, number]> = fn.namedChildren.map((c) => [c, 0]);
    while (stack.length > 0) {
      const [n, depth] = stack.pop()!;
      if (functions.has(n.type)) continue;
      if (decisions.has(n.type)) complexity++;
      if (!py && n.type === 'binary_expression' && JS_LOGICAL.has(n.childForFieldName('operator')?.text ?? '')) complexity++;
      if (py && n.type === 'boolean_operator') complexity++;
      // `else if` is one level, not a deeper one.
      const nests = nestingTypes.has(n.type) && !(n.type === 'if_statement' && n.parent?.type === 'else_clause');
      const d = nests ? depth + 1 : depth;
      nesting = Math.max(nesting, d);
      for (const c of n.namedChildren) stack.push([c, d]);
    }
    const decorated = fn.parent?.type === 'decorated_definition' ? fn.parent : fn;
    out.push({
      name: py ? (fn.childForFieldName('name')?.text ?? '<anonymous>') : jsName(fn),
      line: lineOf(decorated),
      lines: fn.endPosition.row - fn.startPosition.row + 1,
      complexity,
      nesting,
    });
    return undefined;
  });
  return out;
}
