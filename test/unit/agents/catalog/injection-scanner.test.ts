import assert from 'node:assert/strict';
import { test } from 'node:test';
import { injectionScanner, scanSource } from '../../../../agents/catalog/injection-scanner.ts';
import { FIXTURE_REPOS } from '../../../../bench/support/score.ts';
import { scoreOnFixture, syntaxService } from '../../../support/agents.ts';

for (const repo of FIXTURE_REPOS) {
  test(`injection-scanner reports every planted sink in ${repo} and none of its look-alikes`, async () => {
    const s = await scoreOnFixture(injectionScanner, repo);
    assert.deepEqual(s.missed, [], 'planted sinks not reported');
    assert.deepEqual(s.cleanFlagged, [], 'look-alikes reported');
    assert.deepEqual(s.unexpected, [], 'reports that are not planted');
  });
}

async function scan(path: string, source: string): Promise<Array<[string, number]>> {
  return scanSource({ syntax: await syntaxService() }, path, source).map((f) => [f.rule, f.line]);
}

test('the analysis is on the syntax tree: sinks inside comments and strings are not code', async () => {
  const source = [
    '// eval(userInput) and db.query(`SELECT * FROM t WHERE a = ${x}`) are examples in a comment',
    "const doc = 'el.innerHTML = input; exec(`rm ${dir}`)';",
    'export const d = doc;',
  ].join('\n');
  assert.deepEqual(await scan('a.js', source), []);
});

test('SQL built in a variable across statements (+=) is followed to the sink', async () => {
  const source = [
    'export function q(db, name, order) {',
    "  let sql = 'SELECT * FROM users WHERE 1 = 1';",
    "  if (name) sql += ' AND name = ' + name;",
    '  return db.query(sql);',
    '}',
  ].join('\n');
  assert.deepEqual(await scan('a.js', source), [['injection/sql', 4]]);
});

test('a query whose text arrives as a parameter is not reported (no evidence it was built from strings)', async () => {
  assert.deepEqual(await scan('a.js', 'export const run = (db, sql, args) => db.query(sql, args);'), []);
});

test('child_process functions are recognized through require, destructuring and aliases; a project function named exec is not', async () => {
  const source = [
    "const cp = require('child_process');",
    "const { execSync: sh } = require('node:child_process');",
    "import { exec as run } from 'child_process';",
    "import { exec } from './jobs.js';",
    'export function f(dir) {',
    '  cp.exec(`ls ${dir}`);',
    "  sh('du -s ' + dir);",
    '  run(dir);',
    '  exec(`queue ${dir}`);',
    '}',
  ].join('\n');
  assert.deepEqual(await scan('a.ts', source), [
    ['injection/shell', 6],
    ['injection/shell', 7],
    ['injection/shell', 8],
  ]);
});

test('Python: %-formatting and .format() into execute are SQL injection; a parameter tuple is not', async () => {
  const source = [
    'def f(cur, name):',
    '    cur.execute("SELECT * FROM t WHERE a = \'%s\'" % name)',
    '    cur.execute("DELETE FROM t WHERE a = {}".format(name))',
    '    cur.execute("SELECT * FROM t WHERE a = %s", (name,))',
  ].join('\n');
  assert.deepEqual(await scan('a.py', source), [
    ['injection/sql', 2],
    ['injection/sql', 3],
  ]);
});

test('Python: subprocess imported by name with shell=True is reported; shell=False and argument lists are not', async () => {
  const source = [
    'from subprocess import run, check_output as out',
    'def f(name):',
    '    run(f"gzip {name}", shell=True)',
    '    out("cat " + name, shell=True)',
    '    run(f"gzip {name}", shell=False)',
    '    run(["gzip", name])',
  ].join('\n');
  assert.deepEqual(await scan('a.py', source), [
    ['injection/shell', 3],
    ['injection/shell', 4],
  ]);
});

test('HTML: a sanitized value passes, an unsanitized one in the same template does not', async () => {
  const source = [
    'export function card(res, a) {',
    '  res.send(`<p>${escapeHtml(a.name)}</p>`);',
    '  res.send(`<p>${escapeHtml(a.name)} ${a.bio}</p>`);',
    '}',
  ].join('\n');
  assert.deepEqual(await scan('a.js', source), [['injection/html', 3]]);
});
