import type { SyntaxNode } from '../types.ts';
import { lineOf, stringContent, walk } from '../support/syntax.ts';
import { args, calleeName, collectBindings, definitions, unwrap } from './js-scope.ts';
import {
  type Analysis,
  analyseName,
  type InjectionHit,
  isSanitizerName,
  joinShapes,
  looksLikeHtml,
  looksLikeSql,
  type Shape,
} from './injection-common.ts';

/** Injection sinks in JavaScript/TypeScript, found on the tree-sitter syntax tree. */

const SQL_METHODS = new Set([
  'query',
  'execute',
  'exec',
  'raw',
  'unsafe',
  'run',
  'all',
  'get',
  'prepare',
  'many',
  'one',
  'none',
  'any',
  '$queryRawUnsafe',
  '$executeRawUnsafe',
  'whereRaw',
  'orderByRaw',
  'havingRaw',
  'joinRaw',
]);
const SHELL_FUNCTIONS = new Set(['exec', 'execSync']);
const SPAWN_FUNCTIONS = new Set(['spawn', 'spawnSync', 'execFile', 'execFileSync']);
const VM_FUNCTIONS = new Set(['runInNewContext', 'runInThisContext', 'runInContext', 'compileFunction']);
const RESPONSE_METHODS = new Set(['send', 'write', 'end']);

/** How `node` was made, the literal text it contains, and whether a non-constant part is not passed through a sanitizer. */
function analyse(node: SyntaxNode, depth = 0): Analysis {
  const n = unwrap(node);
  switch (n.type) {
    case 'string':
      return { shape: 'const', literal: stringContent(n), unsanitized: false };
    case 'number':
    case 'true':
    case 'false':
    case 'null':
      return { shape: 'const', literal: '', unsanitized: false };
    case 'template_string': {
      const parts = n.namedChildren.filter((c) => c.type === 'template_substitution').map((s) => analyse(s.namedChildren[0] ?? s, depth));
      const literal = stringContent(n) + parts.map((p) => p.literal).join('');
      return {
        shape: parts.length === 0 ? 'const' : joinShapes(parts.map((p) => (p.shape === 'const' ? 'const' : 'built'))),
        literal,
        unsanitized: parts.some((p) => p.shape !== 'const' && p.unsanitized),
      };
    }
    case 'array': {
      // A list of constants (e.g. column names) joined into SQL is as constant as its elements.
      const parts = n.namedChildren.map((e) => analyse(e, depth));
      return {
        shape: parts.every((p) => p.shape === 'const') ? 'const' : 'unknown',
        literal: '',
        unsanitized: parts.some((p) => p.unsanitized),
      };
    }
    case 'binary_expression': {
      if (n.childForFieldName('operator')?.text !== '+') return { shape: 'unknown', literal: '', unsanitized: true };
      const l = analyse(n.childForFieldName('left')!, depth);
      const r = analyse(n.childForFieldName('right')!, depth);
      const shape: Shape = l.shape === 'const' && r.shape === 'const' ? 'const' : 'built';
      return { shape, literal: l.literal + r.literal, unsanitized: l.unsanitized || r.unsanitized };
    }
    case 'identifier':
      return analyseName(depth, () => definitions(n.text, n).values, analyse);
    case 'call_expression': {
      const name = calleeName(n);
      if (isSanitizerName(name)) return { shape: 'unknown', literal: '', unsanitized: false };
      if (name === 'concat' || name === 'join' || name === 'format') {
        const fn = n.childForFieldName('function');
        const parts = [...args(n), ...(fn?.type === 'member_expression' ? [fn.childForFieldName('object')!] : [])].map((a) =>
          analyse(a, depth),
        );
        const shape = parts.every((p) => p.shape === 'const') ? 'const' : 'built';
        return { shape, literal: parts.map((p) => p.literal).join(''), unsanitized: parts.some((p) => p.unsanitized) };
      }
      return { shape: 'unknown', literal: '', unsanitized: true };
    }
    default:
      return { shape: 'unknown', literal: '', unsanitized: true };
  }
}

function hasShellTrue(call: SyntaxNode): boolean {
  return args(call).some(
    (a) =>
      a.type === 'object' &&
      a.namedChildren.some(
        (p) => p.type === 'pair' && p.childForFieldName('key')?.text === 'shell' && p.childForFieldName('value')?.text !== 'false',
      ),
  );
}

export function scanJs(root: SyntaxNode): InjectionHit[] {
  const bindings = collectBindings(root);
  const hits: InjectionHit[] = [];
  const hit = (rule: InjectionHit['rule'], severity: InjectionHit['severity'], node: SyntaxNode, message: string) =>
    hits.push({ rule, severity, line: lineOf(node), message });
  /** The sink module and function a call reaches, e.g. ['child_process', 'exec']. */
  const target = (call: SyntaxNode): [string, string] | undefined => {
    const fn = call.childForFieldName('function') ?? call.childForFieldName('constructor');
    if (fn?.type === 'identifier') {
      const f = bindings.functions.get(fn.text);
      return f ? [f.module, f.name] : undefined;
    }
    if (fn?.type === 'member_expression') {
      const mod = bindings.modules.get(fn.childForFieldName('object')?.text ?? '');
      return mod ? [mod, fn.childForFieldName('property')?.text ?? ''] : undefined;
    }
    return undefined;
  };

  walk(root, (n) => {
    if (n.type === 'call_expression') {
      const a = args(n);
      const name = calleeName(n);
      const fn = n.childForFieldName('function');
      const [mod, fname] = target(n) ?? ['', ''];
      if (fn?.type === 'identifier' && name === 'eval' && a[0] && analyse(a[0]).shape !== 'const') {
        hit('injection/code-eval', 'high', n, 'eval() runs a string that is not constant as code');
      } else if (mod === 'child_process' && SHELL_FUNCTIONS.has(fname) && a[0] && analyse(a[0]).shape !== 'const') {
        hit(
          'injection/shell',
          'high',
          n,
          `${fname}() runs a command string built at run time through a shell; use execFile/spawn with an argument array`,
        );
      } else if (
        mod === 'child_process' &&
        SPAWN_FUNCTIONS.has(fname) &&
        hasShellTrue(n) &&
        a
          .slice(0, 2)
          .some((x) => analyse(x).shape !== 'const' || (x.type === 'array' && x.namedChildren.some((e) => analyse(e).shape !== 'const')))
      ) {
        hit('injection/shell', 'high', n, `${fname}() with shell: true passes values that are not constant to a shell`);
      } else if (mod === 'vm' && VM_FUNCTIONS.has(fname) && a[0] && analyse(a[0]).shape !== 'const') {
        hit('injection/code-eval', 'high', n, `vm.${fname}() runs a string that is not constant as code`);
      } else if (
        (name === 'setTimeout' || name === 'setInterval') &&
        fn?.type === 'identifier' &&
        a[0] &&
        analyse(a[0]).shape === 'built'
      ) {
        hit('injection/code-eval', 'high', n, `${name}() with a string argument evaluates it as code`);
      } else if (fn?.type === 'member_expression' && SQL_METHODS.has(name) && a[0]) {
        const v = analyse(a[0]);
        if (v.shape === 'built' && looksLikeSql(v.literal))
          hit(
            'injection/sql',
            'high',
            n,
            `SQL text built from strings is passed to ${name}(); use a parameterized query with placeholders`,
          );
      } else if (
        fn?.type === 'member_expression' &&
        (name === 'write' || name === 'writeln') &&
        fn.childForFieldName('object')?.text === 'document' &&
        a[0]
      ) {
        const v = analyse(a[0]);
        if (v.shape !== 'const' && v.unsanitized)
          hit('injection/html', 'medium', n, `document.${name}() writes markup that is not constant and not escaped`);
      } else if (name === 'insertAdjacentHTML' && a[1]) {
        const v = analyse(a[1]);
        if (v.shape !== 'const' && v.unsanitized)
          hit('injection/html', 'medium', n, 'insertAdjacentHTML() inserts markup that is not constant and not escaped');
      } else if (fn?.type === 'member_expression' && RESPONSE_METHODS.has(name) && a[0]) {
        const v = analyse(a[0]);
        if (v.shape === 'built' && v.unsanitized && looksLikeHtml(v.literal))
          hit('injection/html', 'high', n, `HTML built with values that are not escaped is sent in the response (${name})`);
      }
    } else if (n.type === 'new_expression') {
      const ctor = n.childForFieldName('constructor');
      const a = args(n);
      const [mod, fname] = target(n) ?? ['', ''];
      if ((ctor?.text === 'Function' || (mod === 'vm' && fname === 'Script')) && a.some((x) => analyse(x).shape !== 'const')) {
        hit('injection/code-eval', 'high', n, `new ${ctor?.text}() compiles a string that is not constant as code`);
      }
    } else if (n.type === 'assignment_expression' || n.type === 'augmented_assignment_expression') {
      const left = n.childForFieldName('left');
      const prop = left?.type === 'member_expression' ? left.childForFieldName('property')?.text : undefined;
      if ((prop === 'innerHTML' || prop === 'outerHTML') && n.childForFieldName('right')) {
        const v = analyse(n.childForFieldName('right')!);
        if (v.shape !== 'const' && v.unsanitized)
          hit(
            'injection/html',
            'medium',
            n,
            `${prop} is assigned markup that is not constant and not escaped; use textContent or a sanitizer`,
          );
      }
    } else if (n.type === 'jsx_attribute' && n.namedChildren[0]?.text === 'dangerouslySetInnerHTML') {
      walk(n, (p) => {
        if (p.type === 'pair' && p.childForFieldName('key')?.text === '__html') {
          const v = analyse(p.childForFieldName('value')!);
          if (v.shape !== 'const' && v.unsanitized)
            hit('injection/html', 'medium', n, 'dangerouslySetInnerHTML receives markup that is not constant and not escaped');
        }
      });
      return false;
    }
    return undefined;
  });
  return hits;
}
