import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { createCommandGuard } from '../../../../customer-plane/guard/guard.ts';
import { registeredPrograms } from '../../../../customer-plane/guard/programs/registry.ts';
import { createCommandRunner } from '../../../../customer-plane/tools/exec/runner.ts';
import { silentLogger } from '../../../../shared/log.ts';
import { codingAgentPolicy, loadCorpus } from '../../../support/command-corpus.ts';

/**
 * What was checked is what runs: every benign corpus command is executed twice in a throwaway
 * workspace — once by `bash -c` with the original string, once by the command runner from the argv
 * the guard resolved — with every program replaced by a tiny recorder that logs its argv. Both runs
 * must log the same argv records and leave the same files. (bash appears only here, in the test.)
 */
const SHIM = `#!/bin/sh
rec="\${0##*/}"
for a in "$@"; do rec="$rec\x1f$a"; done
printf '%s\\036' "$rec" >> "$ARGV_LOG"
printf 'out:%s\\n' "\${0##*/}"
printf 'err:%s\\n' "\${0##*/}" >&2
`;
// bash runs these as builtins; disabling them makes bash use the recorder on PATH like the runner does.
const BUILTINS = 'enable -n echo printf pwd true false kill test';

/** A fresh workspace with the recorder on PATH under every registered program's name. */
function prepare(ws: string): void {
  if (!existsSync(join(ws, '.shims'))) {
    mkdirSync(join(ws, '.shims'), { recursive: true });
    writeFileSync(join(ws, '.shims', '.recorder'), SHIM);
    chmodSync(join(ws, '.shims', '.recorder'), 0o755);
    for (const p of registeredPrograms()) symlinkSync('.recorder', join(ws, '.shims', p));
  }
  for (const name of readdirSync(ws)) if (name !== '.shims') rmSync(join(ws, name), { recursive: true, force: true });
  mkdirSync(join(ws, '.argv'));
  mkdirSync(join(ws, 'src'));
  for (const f of ['input.txt', 'file.txt', 'README.md', 'src/index.ts']) writeFileSync(join(ws, f), `content of ${f}\n`);
}

function snapshot(ws: string): { argv: string[]; files: Record<string, string> } {
  const log = (() => {
    try {
      return readFileSync(join(ws, '.argv', 'log'), 'utf8');
    } catch {
      return '';
    }
  })();
  const argv = log
    .split('\x1e')
    .filter((r) => r !== '')
    .map((r) => JSON.stringify(r.split('\x1f')))
    .sort();
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const rel = relative(ws, full);
      if (rel === '.shims' || rel === '.argv') continue;
      if (statSync(full).isDirectory()) walk(full);
      else files[rel] = readFileSync(full, 'utf8').split('\n').sort().join('\n');
    }
  };
  walk(ws);
  return { argv, files };
}

function bash(ws: string, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/bash', ['-c', `${BUILTINS}\n${command}`], {
      cwd: ws,
      env: { PATH: join(ws, '.shims'), ARGV_LOG: join(ws, '.argv', 'log'), HOME: ws },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    child.on('error', reject);
    child.on('close', () => resolve());
  });
}

test('every allowed corpus command runs with exactly the argv bash would give it, and leaves the same files', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'argv-fidelity-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const viaBash = join(base, 'bash-ws');
  const viaRunner = join(base, 'runner-ws');
  const guard = await createCommandGuard();
  const runner = await createCommandRunner({ log: silentLogger(), path: [join(viaRunner, '.shims')] });
  t.after(() => runner.dispose());

  const benign = loadCorpus('benign.txt');
  const mismatches: string[] = [];
  let stages = 0;
  for (const { command, line } of benign) {
    const verdict = guard.check(command, codingAgentPolicy);
    assert.ok(verdict.ok, `line ${line} is refused: ${command}`);
    stages += verdict.command.pipeline.length;
    prepare(viaBash);
    prepare(viaRunner);
    await bash(viaBash, command);
    await runner.run(verdict.command, {
      cwd: viaRunner,
      timeoutMs: 20_000,
      maxOutputBytes: 1 << 20,
      env: { ARGV_LOG: join(viaRunner, '.argv', 'log') },
    });
    const expected = snapshot(viaBash);
    const actual = snapshot(viaRunner);
    assert.ok(expected.argv.length > 0, `bash ran nothing for line ${line}: ${command}`);
    try {
      assert.deepEqual(actual, expected);
    } catch {
      mismatches.push(`line ${line}: ${command}\n  bash:   ${JSON.stringify(expected)}\n  runner: ${JSON.stringify(actual)}`);
    }
  }
  console.log(
    `argv fidelity: ${benign.length} commands (${stages} processes) run both ways in sandbox=${runner.sandbox}; ${mismatches.length} differ`,
  );
  assert.deepEqual(mismatches, []);
});
