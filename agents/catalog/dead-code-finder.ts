import { z } from 'zod';
import { jsModuleFacts, type ModuleFacts, pyModuleFacts } from '../analysis/references.ts';
import { readPackageJson } from '../analysis/manifests.ts';
import { withTree } from '../support/syntax.ts';
import { countBySeverity, finding, listWorkspace, readText, result } from '../support/workspace.ts';
import { agentOutputSchema, type DeterministicAgent, type Finding } from '../types.ts';

const JS_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
const isTest = (p: string) =>
  /(^|\/)(test|tests|__tests__)\//.test(p) ||
  /\.(test|spec)\.[cm]?[jt]sx?$/.test(p) ||
  /(^|\/)(test_[^/]*|[^/]*_test|conftest)\.py$/.test(p);
const isIndex = (p: string) => /(^|\/)index\.[cm]?[jt]sx?$/.test(p) || /(^|\/)(__init__|__main__|main|manage|setup|wsgi|asgi)\.py$/.test(p);

function normalize(parts: string[]): string {
  const out: string[] = [];
  for (const p of parts) {
    if (p === '..') out.pop();
    else if (p !== '.' && p !== '') out.push(p);
  }
  return out.join('/');
}

/** The workspace file a relative specifier names (TS's `./x.js` → `x.ts` included), or undefined. */
function resolveSpec(from: string, spec: string, files: ReadonlySet<string>): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = normalize([...from.split('/').slice(0, -1), ...spec.split('/')]);
  const stem = base.replace(/\.[cm]?[jt]sx?$/, '');
  const candidates = [base, ...JS_EXTENSIONS.map((e) => stem + e), ...JS_EXTENSIONS.map((e) => `${base}/index${e}`)];
  return candidates.find((c) => files.has(c));
}

/**
 * Finds code nothing uses: JS/TS exports no module imports, top-level functions nothing calls,
 * Python top-level definitions referenced nowhere in the repository, and statements after a
 * return/throw that never run. Entry points (package main/bin/exports, index and __init__ files,
 * tests, decorated definitions) count as used.
 */
export const deadCodeFinder: DeterministicAgent = {
  name: 'dead-code-finder',
  kind: 'deterministic',
  tier: null,
  purpose:
    'Finds dead code across the repository — unused exports, uncalled functions, unreferenced Python definitions, unreachable statements — so it can be deleted safely.',
  tools: ['list_files', 'read_file'],
  budget: { maxSteps: 5001, maxTokens: 0 },
  output: agentOutputSchema.extend({ data: z.object({ modules: z.number().int() }) }),
  async run(ctx) {
    const all = await listWorkspace(ctx);
    const paths = all.filter((p) => ['javascript', 'typescript', 'tsx', 'python'].includes(ctx.syntax.languageOf(p) ?? ''));
    const files = new Set(paths);
    const facts = new Map<string, ModuleFacts>();
    for (const path of paths) {
      const text = await readText(ctx, path);
      if (text === undefined) continue;
      const f = withTree(ctx, path, text, (root, language) => (language === 'python' ? pyModuleFacts(root) : jsModuleFacts(root)));
      if (f) facts.set(path, f);
    }
    // Entry points named by package.json are used from outside the repository.
    const pkg = all.includes('package.json') ? readPackageJson((await readText(ctx, 'package.json')) ?? '') : undefined;
    const entries = new Set((pkg?.entryPoints ?? []).map((e) => resolveSpec('', `./${e}`, files)).filter((e): e is string => !!e));
    // Which exported names each module gives to others.
    const used = new Map<string, Set<string>>();
    const pyIdentifiers = new Map<string, number>();
    for (const [path, f] of facts) {
      for (const imp of f.imports) {
        const target = resolveSpec(path, imp.spec, files);
        if (!target) continue;
        const set = used.get(target) ?? new Set();
        for (const n of imp.names) set.add(n);
        used.set(target, set);
      }
      if (path.endsWith('.py')) for (const [name, n] of f.identifierCounts) pyIdentifiers.set(name, (pyIdentifiers.get(name) ?? 0) + n);
    }
    const findings: Finding[] = [];
    for (const [path, f] of facts) {
      for (const line of f.unreachable)
        findings.push(
          finding(
            'dead-code/unreachable',
            'medium',
            path,
            line,
            'this statement comes after a return, throw, break or continue and never runs',
          ),
        );
      if (isTest(path) || isIndex(path) || entries.has(path)) continue;
      if (path.endsWith('.py')) {
        for (const [name, line] of f.exports) {
          if (name.startsWith('test') || (pyIdentifiers.get(name) ?? 0) > 1) continue;
          findings.push(
            finding('dead-code/unused-definition', 'low', path, line, `${name} is defined but never referenced anywhere in the repository`),
          );
        }
        continue;
      }
      const imported = used.get(path) ?? new Set();
      for (const [name, line] of f.exports) {
        if (imported.has('*') || imported.has(name) || (f.identifierCounts.get(name) ?? 0) > 1) continue;
        findings.push(
          finding(
            'dead-code/unused-export',
            'low',
            path,
            line,
            `${name} is exported but no module imports it and nothing in its file uses it`,
          ),
        );
      }
      for (const [name, line] of f.privateFunctions) {
        if ((f.identifierCounts.get(name) ?? 0) <= 1)
          findings.push(finding('dead-code/unused-function', 'low', path, line, `${name} is never called or referenced`));
      }
    }
    return result(`${facts.size} modules analysed: ${countBySeverity(findings)}`, findings, { modules: facts.size });
  },
};
