import type { Node, Tree } from 'web-tree-sitter';
import { type Refusal, refuse } from './refusal.ts';
import { literalWord, refusalForNode } from './words.ts';

/** A redirection as written, before the guard decides whether it is allowed. */
export type RawRedirect = { fd: number; op: string; target: string | undefined };
/** One pipeline stage as written: its literal words and its redirections, in order. */
export type RawStage = { words: string[]; redirects: RawRedirect[] };

const PROGRAM_NAME = /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/;
const COMPOUND = new Set([
  'list',
  'subshell',
  'compound_statement',
  'if_statement',
  'while_statement',
  'for_statement',
  'c_style_for_statement',
  'case_statement',
  'function_definition',
  'negated_command',
  'test_command',
]);
const REDIRECT_OPS = new Set(['>', '>>', '<', '>&', '&>', '&>>', '>|', '<&', '<>', '>&-', '<&-']);

/**
 * Every character of the input must belong to a token the parser produced, or be a space or tab
 * between tokens. Tree-sitter treats line continuations (`l\⏎s`, which bash reads as `ls`) as
 * whitespace; this refuses them and anything else the grammar skipped.
 */
function checkCoverage(tree: Tree, source: string): Refusal | undefined {
  const cursor = tree.walk();
  let pos = 0;
  let bad: string | undefined;
  walk: for (;;) {
    if (cursor.gotoFirstChild()) continue;
    const gap = source.slice(pos, cursor.startIndex);
    if (!/^[ \t]*$/.test(gap) && !(pos === 0 && /^\s*$/.test(gap))) {
      bad = gap;
      break;
    }
    pos = Math.max(pos, cursor.endIndex);
    while (!cursor.gotoNextSibling()) if (!cursor.gotoParent()) break walk;
  }
  cursor.delete();
  if (bad === undefined && !/^\s*$/.test(source.slice(pos))) bad = source.slice(pos);
  return bad === undefined ? undefined : refuse('obfuscated_word', `characters the parser skipped: ${JSON.stringify(bad)}`);
}

function programName(node: Node): string | Refusal {
  const children = node.namedChildren.filter((c) => c !== null);
  if (children.length !== 1) return refuse('obfuscated_word', 'the program name is not one plain word');
  const child = children[0]!;
  if (child.type !== 'word') {
    if (child.type === 'concatenation' || child.type === 'string' || child.type === 'raw_string') {
      return refuse('obfuscated_word', `quoted program name ${child.text}`);
    }
    return refusalForNode(child);
  }
  const text = child.text;
  if (text.includes('/')) return refuse('program_path_qualified', `program given as a path: ${text}`);
  if (!PROGRAM_NAME.test(text)) return refuse('obfuscated_word', `program name ${text} is not a plain name`);
  return text;
}

function redirect(node: Node): RawRedirect | Refusal {
  if (node.type === 'heredoc_redirect' || node.type === 'herestring_redirect') {
    return refuse('redirect_not_allowed', 'here-documents and here-strings are not supported');
  }
  if (node.type !== 'file_redirect') return refusalForNode(node);
  let fd: number | undefined;
  let op: string | undefined;
  let target: string | undefined;
  for (const child of node.children) {
    if (!child) continue;
    if (child.type === 'file_descriptor') fd = Number(child.text);
    else if (!child.isNamed && REDIRECT_OPS.has(child.type)) op = child.type;
    else if (child.isNamed && target === undefined) {
      const word = literalWord(child);
      if (typeof word !== 'string') return word;
      target = word;
    } else return refuse('redirect_not_allowed', `redirection ${node.text}`);
  }
  if (op === undefined) return refuse('redirect_not_allowed', `redirection ${node.text}`);
  // With a descriptor written (2>x), the text before the redirection is a space or an operator, never digits.
  const misread = descriptorReadAsArgument(node);
  if (misread !== undefined)
    return refuse('redirect_not_allowed', `descriptor ${misread} before ${op} is not supported; write ${op} alone`);
  if (fd === undefined) fd = op.startsWith('<') ? 0 : 1;
  return { fd, op, target };
}

/**
 * tree-sitter-bash reads `cat 0<in.txt` as the argument `0` followed by `<in.txt`, where bash reads one
 * redirection of descriptor 0 and no argument: the digits written right against the operator. Refused,
 * so the argv the runner executes never differs from what bash would have run.
 */
function descriptorReadAsArgument(node: Node): string | undefined {
  // The node just before the redirection: a leaf ending where it starts, or (after a space) its parent.
  const before = node.tree.rootNode.descendantForIndex(node.startIndex - 1);
  return /^\d+$/.exec(before?.text ?? '')?.[0];
}

function command(node: Node, extra: RawRedirect[]): RawStage | Refusal {
  const words: string[] = [];
  const redirects: RawRedirect[] = [];
  for (const child of node.children) {
    if (!child) continue;
    if (child.type === 'variable_assignment') return refuse('env_assignment', `assignment ${child.text} before a command`);
    if (child.type === 'command_name') {
      const name = programName(child);
      if (typeof name !== 'string') return name;
      words.push(name);
      continue;
    }
    if (child.type.endsWith('_redirect')) {
      const r = redirect(child);
      if ('refused' in r) return r;
      redirects.push(r);
      continue;
    }
    if (!child.isNamed) return refusalForNode(child);
    if (words.length === 0) return refuse('command_unparseable', 'arguments before the program name');
    const word = literalWord(child);
    if (typeof word !== 'string') return word;
    words.push(word);
  }
  if (words.length === 0) return refuse('command_unparseable', 'no program');
  return { words, redirects: [...redirects, ...extra] };
}

function stage(node: Node, outer: RawRedirect[]): RawStage | Refusal {
  if (node.type === 'command') return command(node, outer);
  if (node.type === 'redirected_statement') {
    const own: RawRedirect[] = [];
    let body: Node | null = null;
    for (const child of node.children) {
      if (!child) continue;
      if (child.type.endsWith('_redirect')) {
        const r = redirect(child);
        if ('refused' in r) return r;
        own.push(r);
      } else if (body === null && child.isNamed) body = child;
      else return refusalForNode(child);
    }
    if (body === null || body.type !== 'command') return statementRefusal(body ?? node);
    return command(body, [...own, ...outer]);
  }
  return statementRefusal(node);
}

function statementRefusal(node: Node): Refusal {
  if (COMPOUND.has(node.type)) return refuse('compound_not_allowed', `${node.type.replace(/_/g, ' ')} is not allowed; send one command`);
  if (node.type === 'declaration_command' || node.type === 'unset_command') {
    return refuse('program_not_allowed', `shell builtin ${node.text.split(/\s/)[0]} has no meaning without a shell`);
  }
  if (node.type === 'variable_assignment' || node.type === 'variable_assignments') return refuse('env_assignment', 'a variable assignment');
  if (node.type === 'pipeline') return refuse('compound_not_allowed', 'nested pipeline');
  return refusalForNode(node);
}

function pipeline(node: Node, outer: RawRedirect[]): RawStage[] | Refusal {
  const stages: RawStage[] = [];
  const nodes: Node[] = [];
  for (const child of node.children) {
    if (!child) continue;
    if (child.type === '|') continue;
    if (child.type === '|&') return refuse('redirect_not_allowed', '|& is not supported; use 2>&1 |');
    if (!child.isNamed) return refuse('compound_not_allowed', `operator ${child.type}`);
    nodes.push(child);
  }
  for (let i = 0; i < nodes.length; i++) {
    const s = stage(nodes[i]!, i === nodes.length - 1 ? outer : []);
    if ('refused' in s) return s;
    stages.push(s);
  }
  return stages;
}

/** The stages of the one pipeline the input contains, with literal words; or why it is refused. */
export function readStages(tree: Tree, source: string): RawStage[] | Refusal {
  const root = tree.rootNode;
  if (root.hasError) return refuse('command_unparseable', 'the command does not parse as shell');
  const statements: Node[] = [];
  for (const child of root.children) {
    if (!child || child.type === 'comment') continue;
    if (!child.isNamed) return refuse('compound_not_allowed', `operator ${JSON.stringify(child.type)}: send one command`);
    statements.push(child);
  }
  if (statements.length === 0) return refuse('command_unparseable', 'empty command');
  if (statements.length > 1) return refuse('compound_not_allowed', 'several commands: send one command (or one pipeline)');
  let top = statements[0]!;
  const outer: RawRedirect[] = [];
  if (top.type === 'redirected_statement' && top.childForFieldName('body')?.type === 'pipeline') {
    for (const child of top.children) {
      if (!child || child.type === 'pipeline') continue;
      const r = redirect(child);
      if ('refused' in r) return r;
      outer.push(r);
    }
    top = top.childForFieldName('body')!;
  }
  const stages = top.type === 'pipeline' ? pipeline(top, outer) : stage(top, outer);
  if ('refused' in stages) return stages;
  return checkCoverage(tree, source) ?? (Array.isArray(stages) ? stages : [stages]);
}
