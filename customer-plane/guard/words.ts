import type { Node } from 'web-tree-sitter';
import { type Refusal, refuse } from './refusal.ts';

/**
 * Turns one shell word (as tree-sitter-bash parsed it) into the literal string bash would pass, or
 * refuses it. Only literal forms are accepted: plain words, 'single' and "double" quotes without
 * expansions, and backslash escapes. Everything bash would expand — variables, substitutions,
 * arithmetic, `~`, globs, braces, $'…' and $"…" — is refused rather than guessed at, because no shell
 * runs: what this returns is exactly the argument the program receives.
 */

/** Characters that bash expands or treats as syntax when they appear unquoted and unescaped. */
const GLOB = new Set(['*', '?', '[']);
const BRACE = new Set(['{', '}']);
const SYNTAX = new Set(['(', ')', '<', '>', '|', ';', '&', ' ', '\t', '\n']);
// Secret references ({{secret:NAME}}) are literal to bash (a brace pair without `,` or `..` does not
// expand) and are substituted by the runtime at spawn time; their braces are allowed.
const SECRET_REF = /\{\{secret:[A-Za-z_][A-Za-z0-9_]{0,63}\}\}/g;

type Piece = { text: string /** true where the character came unquoted and unescaped */; bare: boolean[] };

/** Refusal codes for node types that mean something the guard will not resolve. */
export function refusalForNode(node: Node): Refusal {
  switch (node.type) {
    case 'simple_expansion':
    case 'expansion':
    case 'arithmetic_expansion':
      return refuse('variable_expansion', `expansion ${node.text}`);
    case 'command_substitution':
    case 'process_substitution':
      return refuse('command_substitution', `substitution ${node.text}`);
    case 'ansi_c_string':
    case 'translated_string':
      return refuse('obfuscated_word', `quoting form ${node.text}`);
    case 'brace_expression':
      return refuse('glob_expansion', `brace expansion ${node.text}`);
    case '$':
      return refuse('variable_expansion', 'a bare $');
    default:
      return refuse('command_unparseable', `unsupported syntax (${node.type})`);
  }
}

function unquoted(raw: string): Piece | Refusal {
  let text = '';
  const bare: boolean[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\') {
      const next = raw[i + 1];
      if (next === undefined) return refuse('command_unparseable', 'trailing backslash');
      i++;
      if (next === '\n') continue;
      text += next;
      bare.push(false);
      continue;
    }
    text += c;
    bare.push(true);
  }
  return { text, bare };
}

function doubleQuoted(content: string): Piece | Refusal {
  let text = '';
  for (let i = 0; i < content.length; i++) {
    const c = content[i]!;
    if (c === '\\') {
      const next = content[i + 1];
      if (next === '$' || next === '`' || next === '"' || next === '\\') {
        text += next;
        i++;
        continue;
      }
      if (next === '\n') {
        i++;
        continue;
      }
      text += c;
      continue;
    }
    if (c === '$') return refuse('variable_expansion', 'a $ inside double quotes');
    if (c === '`') return refuse('command_substitution', 'a backtick inside double quotes');
    text += c;
  }
  return { text, bare: new Array(text.length).fill(false) };
}

function piece(node: Node): Piece | Refusal {
  switch (node.type) {
    case 'word':
    case 'number':
      return unquoted(node.text);
    case 'raw_string': {
      const content = node.text.slice(1, -1);
      return { text: content, bare: new Array(content.length).fill(false) };
    }
    case 'string': {
      for (const child of node.children) {
        if (!child) continue;
        if (child.type !== '"' && child.type !== 'string_content') return refusalForNode(child);
      }
      return doubleQuoted(node.text.slice(1, -1));
    }
    default:
      return refusalForNode(node);
  }
}

/** Refuses what bash would expand or split in the assembled word. */
function checkBare(p: Piece): Refusal | undefined {
  const { text, bare } = p;
  const inSecretRef = new Array(text.length).fill(false);
  for (const m of text.matchAll(SECRET_REF)) inSecretRef.fill(true, m.index, m.index + m[0].length);
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\0') return refuse('command_unparseable', 'NUL byte in a word');
    if (!bare[i]) continue;
    if (GLOB.has(c)) return refuse('glob_expansion', `unquoted ${c} would be expanded by a shell; quote it`);
    if (BRACE.has(c) && !inSecretRef[i]) return refuse('glob_expansion', `unquoted ${c} may be brace expansion; quote it`);
    if (c === '~' && (i === 0 || text[i - 1] === '=' || text[i - 1] === ':')) return refuse('variable_expansion', 'tilde expansion');
    if (c === '$') return refuse('variable_expansion', 'a bare $');
    if (c === '`') return refuse('command_substitution', 'a backtick');
    if (SYNTAX.has(c)) return refuse('command_unparseable', `unexpected ${JSON.stringify(c)} in a word`);
  }
  return undefined;
}

/** The literal value of an argument node, or why it has none. */
export function literalWord(node: Node): string | Refusal {
  const parts: Node[] = [];
  if (node.type === 'concatenation') {
    for (const child of node.children) {
      if (!child) continue;
      if (!child.isNamed) return refusalForNode(child);
      parts.push(child);
    }
  } else {
    parts.push(node);
  }
  let text = '';
  const bare: boolean[] = [];
  for (const part of parts) {
    const p = piece(part);
    if ('refused' in p) return p;
    text += p.text;
    for (const b of p.bare) bare.push(b);
  }
  const bad = checkBare({ text, bare });
  return bad ?? text;
}
