import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { agentOutputSchema, type DeterministicAgent } from '../../../agents/types.ts';
import { newUlid } from '../../../shared/ids.ts';
import { ROOT } from '../../../scripts/topology/boundary-rig.ts';
import { startRuntimeRig } from '../../support/runtime-rig.ts';

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'customer-plane/cli/runs.ts'), ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('npm run runs: list shows the run, show prints its steps, findings, patches and refusals, with repository text unable to drive the terminal', async (t) => {
  const patcher: DeterministicAgent = {
    name: 'patch-applier',
    kind: 'deterministic',
    tier: null,
    purpose: 'test',
    tools: ['read_file', 'write_file', 'run_command'],
    budget: { maxSteps: 10, maxTokens: 0 },
    output: agentOutputSchema,
    async run(ctx) {
      await ctx.tools.call('write_file', { path: 'src/fixed.ts', content: 'export const fixed = true;\n' });
      await ctx.tools.call('read_file', { path: '../../etc/passwd' });
      return {
        summary: 'fixed one thing',
        findings: [
          { rule: 'sql/string-concat', severity: 'high', file: 'src/db.ts', line: 7, message: 'evil \u001b[2J\u001b]0;pwned\u0007 text' },
        ],
        patches: [{ title: 'use a parameter', diff: '--- a/src/db.ts\n+++ b/src/db.ts\n@@ -1 +1 @@\n-a\n+b\n' }],
      };
    },
  };
  const rig = await startRuntimeRig(t, {
    catalog: { 'patch-applier': patcher },
    templates: { refactor: { name: 'refactor', description: 'x', steps: [{ id: 'fix', agent: 'patch-applier', needs: [] }] } },
  });
  const run = await rig.run('refactor');
  assert.equal(run.status, 'succeeded');
  const env = { DATABASE_URL: rig.databaseUrl };

  const list = await cli(['list'], env);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, new RegExp(`${run.runId}\\s+refactor\\s+sample\\s+succeeded\\s+none\\s+1/1\\s+1`));

  const show = await cli(['show', run.runId], env);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /1\. fix\s+patch-applier\s+succeeded/);
  assert.match(show.stdout, /tools 2 \(1 refused\)/);
  assert.match(show.stdout, /high\s+src\/db\.ts:7\s+sql\/string-concat/);
  assert.match(show.stdout, /evil \\x1b\[2J\\x1b\]0;pwned\\x07 text/, 'control characters are shown, not sent');
  assert.ok(!show.stdout.includes('\u001b'), 'no raw escape reaches the terminal');
  assert.match(show.stdout, /--- applied by step fix/);
  assert.match(show.stdout, /\+\+\+ b\/src\/fixed\.ts/);
  assert.match(show.stdout, /--- proposed by step fix: use a parameter/);
  assert.match(show.stdout, /fix\s+read_file\s+deny\s+path_outside_workspace\s+×1/);

  const json = await cli(['show', run.runId, '--json'], env);
  assert.equal(JSON.parse(json.stdout).findingList[0].line, 7);

  const missing = await cli(['show', newUlid()], env);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no run/);
  const bad = await cli(['show', 'not-an-id'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /a ULID/);
  const unconfigured = await cli(['list'], {});
  assert.equal(unconfigured.code, 78);
  assert.match(unconfigured.stderr, /DATABASE_URL/);
});
