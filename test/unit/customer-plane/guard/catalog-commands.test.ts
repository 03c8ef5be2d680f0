import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CATALOG } from '../../../../agents/catalog/index.ts';
import { lintCommands } from '../../../../agents/catalog/lint-runner.ts';
import { testCommands } from '../../../../agents/catalog/test-runner.ts';
import type { StepContext } from '../../../../agents/types.ts';
import { silentLogger } from '../../../../shared/log.ts';
import { createCommandGuard } from '../../../../customer-plane/guard/guard.ts';

const guard = await createCommandGuard();

/** Just enough of a step for the runners' command choice: files to read, nothing else. */
function repo(files: Record<string, string>): { ctx: StepContext; paths: string[] } {
  const ctx: StepContext = {
    workflowId: '01J00000000000000000000000',
    stepId: 's',
    agent: 'test-runner',
    tools: {
      call: async (tool, input) =>
        tool === 'read_file' && (input as { path: string }).path in files
          ? { ok: true, output: files[(input as { path: string }).path]! }
          : { ok: false, decision: 'deny', reason: 'tool_not_allowed', message: 'no' },
    },
    inputs: {},
    params: {},
    syntax: { languages: () => [], languageOf: () => undefined, parse: () => undefined },
    log: silentLogger(),
    signal: new AbortController().signal,
  };
  return { ctx, paths: Object.keys(files) };
}
const node = repo({
  'package.json': JSON.stringify({ scripts: { test: 'node --test', lint: 'eslint src' } }),
  'eslint.config.js': 'export default [];',
});
const nodeScriptLint = repo({ 'package.json': JSON.stringify({ scripts: { test: 'vitest run', lint: 'biome ci .' } }) });
const ruffPy = repo({ 'pyproject.toml': '[tool.ruff]\nline-length = 120\n', 'tests/test_x.py': '' });
const flake8Py = repo({ 'setup.cfg': '[flake8]\nmax-line-length = 100\n', 'test_y.py': '' });

test('every command the test and lint runners issue is allowed under their own program lists, and those lists hold nothing else', async () => {
  for (const [name, choose] of [
    ['test-runner', async (r: ReturnType<typeof repo>) => testCommands(r.ctx, r.paths)],
    ['lint-runner', async (r: ReturnType<typeof repo>) => (await lintCommands(r.ctx, r.paths)).map((c) => c.command)],
  ] as const) {
    const programs = CATALOG[name].programs ?? [];
    const used = new Set<string>();
    for (const r of [node, nodeScriptLint, ruffPy, flake8Py]) {
      for (const command of await choose(r)) {
        const v = guard.check(command, { programs });
        assert.ok(v.ok, `${name}: "${command}" → ${v.ok ? '' : `${v.reason}: ${v.detail}`}`);
        used.add(v.command.pipeline[0]![0]!);
      }
    }
    assert.deepEqual([...used].sort(), [...programs].sort(), `${name} lists exactly the programs it starts (least agency)`);
  }
  assert.deepEqual(await testCommands(ruffPy.ctx, ruffPy.paths), ['python3 -m pytest -rf --tb=line -q -p no:cacheprovider']);
  assert.deepEqual(
    (await lintCommands(node.ctx, node.paths)).map((c) => c.command),
    ['eslint --format json .'],
    'ESLint from the repository’s own install, not through npx (a wrapper the guard refuses)',
  );
});

test('the git calls the deterministic agents make pass the guard as the git tool checks them', () => {
  for (const args of [
    ['log', '--format=', '--name-only', '-n', '500'],
    ['diff', '--no-color', '--no-ext-diff', 'HEAD'],
  ]) {
    const v = guard.checkArgv(['git', ...args], { programs: ['git'] });
    assert.ok(v.ok && v.command.consequences.length === 0 && !v.command.runsRepositoryCode, args.join(' '));
  }
});

test('the linters and test runners the catalog may start are refused with dangerous flags and paths, on their own rules', () => {
  const lint = { programs: CATALOG['lint-runner'].programs ?? [] };
  const tests = { programs: [...(CATALOG['test-runner'].programs ?? []), 'pytest'] };
  for (const [command, policy, reason] of [
    ['python3 -m pytest -p pytest_exfil', tests, 'flag_not_allowed'],
    ['pytest -p evil_plugin tests', tests, 'flag_not_allowed'],
    ['python3 -m pytest --rootdir=/ tests', tests, 'flag_not_allowed'],
    ['python3 -c "import os; print(os.environ)"', tests, 'flag_not_allowed'],
    ['npm run test --script-shell=/bin/bash', tests, 'flag_not_allowed'],
    ['npm exec -- evil', tests, 'shell_wrapper'],
    ['npx --no-install eslint --format json .', { programs: ['npx'] }, 'shell_wrapper'],
    ['eslint --rulesdir /tmp/rules .', lint, 'flag_not_allowed'],
    ['eslint -c ../../outside/evil.config.js .', lint, 'path_outside_workspace'],
    ['eslint -o ../report.json .', lint, 'path_outside_workspace'],
    ['ruff check --fix .', lint, 'flag_not_allowed'],
    ['ruff format .', lint, 'subcommand_not_allowed'],
    ['ruff check --config /etc/ruff.toml .', lint, 'path_outside_workspace'],
    ['flake8 --output-file=../report.txt .', lint, 'path_outside_workspace'],
    ['flake8 --append-config=/etc/evil.cfg .', lint, 'path_outside_workspace'],
    ['flake8 . > .git/hooks/pre-commit', lint, 'redirect_not_allowed'],
  ] as const) {
    const v = guard.check(command, policy);
    assert.equal(v.ok ? 'allowed' : v.reason, reason, command);
  }
  const ruff = guard.check('ruff check --no-fix --output-format json .', lint);
  assert.ok(ruff.ok && !ruff.command.runsRepositoryCode, 'ruff only reads: it runs no repository code');
  const flake8 = guard.check('flake8 .', lint);
  assert.ok(flake8.ok && flake8.command.runsRepositoryCode, 'flake8 loads local plugins the repository names: repository code');
});
