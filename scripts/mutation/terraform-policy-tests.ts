/**
 * The terraform-policy module's test command: synthesizes the stack from the (mutated) sources into a
 * temporary file and runs the policy tests against it (they read AGENTPLANE_TF_JSON instead of the
 * committed terraform/dist). The synth-equality test is left out on purpose: it fails on any change at
 * all, so it would "kill" every mutant without saying whether a policy still holds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { synthesize } from '../../terraform/src/synth.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const testDir = join(root, 'test', 'unit', 'terraform');
const policyTests = readdirSync(testDir)
  .filter((f) => /^policy-.*\.test\.ts$/.test(f))
  .map((f) => join(testDir, f));
const dir = mkdtempSync(join(tmpdir(), 'agentplane-mutation-synth-'));
try {
  const file = join(dir, 'main.tf.json');
  writeFileSync(file, synthesize());
  // One process for all the policy files: they only read the synthesized JSON, and a process per file
  // would double the cost of every mutant.
  const run = spawnSync(process.execPath, ['--test', '--test-isolation=none', '--test-reporter=dot', ...policyTests], {
    stdio: 'inherit',
    env: { ...process.env, AGENTPLANE_TF_JSON: file },
  });
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
