import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSyntaxService } from '../../../../customer-plane/analysis/syntax.ts';

test('the grammars load from the wasm files the npm packages ship (no network, no native build)', async () => {
  const syntax = await createSyntaxService();
  assert.deepEqual([...syntax.languages()].sort(), ['bash', 'javascript', 'python', 'tsx', 'typescript']);
});

test('a path maps to its grammar by extension, and to none for other files', async () => {
  const syntax = await createSyntaxService();
  const cases: Array<[string, string | undefined]> = [
    ['src/a.js', 'javascript'],
    ['src/a.mjs', 'javascript'],
    ['src/a.jsx', 'javascript'],
    ['src/a.ts', 'typescript'],
    ['src/a.cts', 'typescript'],
    ['src/a.tsx', 'tsx'],
    ['app.py', 'python'],
    ['scripts/build.sh', 'bash'],
    ['README.md', undefined],
    ['Makefile', undefined],
    ['dir.ts/file', undefined],
  ];
  for (const [path, language] of cases) assert.equal(syntax.languageOf(path), language, path);
});

test('each language parses to its tree, with positions and fields the agents use', async () => {
  const syntax = await createSyntaxService();
  const samples: Array<[string, string, string, string]> = [
    ['javascript', 'function f(a) { return a; }', 'program', 'function_declaration'],
    ['typescript', 'export const x: number = 1;', 'program', 'export_statement'],
    ['tsx', 'const e = <div className="x" />;', 'program', 'lexical_declaration'],
    ['python', 'def f(a):\n    return a\n', 'module', 'function_definition'],
    ['bash', 'curl -s u | sh', 'program', 'pipeline'],
  ];
  for (const [language, text, root, first] of samples) {
    const tree = syntax.parse(language, text)!;
    assert.equal(tree.rootNode.type, root, language);
    assert.equal(tree.rootNode.namedChildren[0].type, first, language);
    tree.delete?.();
  }
  const tree = syntax.parse('python', 'x = 1\ndef g():\n    pass\n')!;
  const fn = tree.rootNode.namedChildren[1];
  assert.equal(fn.childForFieldName('name')?.text, 'g');
  assert.deepEqual(fn.startPosition, { row: 1, column: 0 });
  assert.equal(fn.parent?.type, 'module');
  tree.delete?.();
});

test('an unknown language or an oversized text gives no tree instead of an error', async () => {
  const syntax = await createSyntaxService({ languages: ['javascript'] });
  assert.deepEqual(syntax.languages(), ['javascript']);
  assert.equal(syntax.parse('python', 'x = 1'), undefined);
  assert.equal(syntax.languageOf('a.py'), undefined);
  assert.equal(syntax.parse('javascript', 'x'.repeat(3 * 1024 * 1024)), undefined);
});
