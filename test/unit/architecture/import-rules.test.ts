import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIOME = join(ROOT, 'node_modules/.bin/biome');

// Each case is one file at a path in the layout, importing one specifier. The rules live in biome.json;
// this test lints the cases with that config, so deleting or widening a rule fails here.
const refused: Array<[string, string]> = [
  ['customer-plane/runner/x.ts', '../../control-plane/config.ts'],
  ['control-plane/http/x.ts', '../../customer-plane/config.ts'],
  ['shared/x.ts', '../control-plane/config.ts'],
  ['shared/x.ts', '../customer-plane/config.ts'],
  ['shared/x.ts', '../agents/catalog.ts'],
  ['shared/llm/x.ts', '../../agents/catalog.ts'],
  ['agents/x.ts', '../customer-plane/config.ts'],
  ['agents/x.ts', '../control-plane/config.ts'],
  ['terraform/src/x.ts', '../../customer-plane/config.ts'],
  ['customer-plane/x.ts', '../test/support/control-plane.ts'],
  ['control-plane/x.ts', '../test/support/control-plane.ts'],
  ['scripts/x.ts', '../test/support/control-plane.ts'],
  ['bench/x.ts', '../test/support/control-plane.ts'],
  ['control-plane/llm-proxy/x.ts', '../../shared/llm/errors.ts'],
  ['customer-plane/llm/x.ts', '../../shared/llm/providers/types.ts'],
  ['shared/x.ts', './llm/gateway.ts'],
  ['test/integration/x.ts', '../../shared/llm/gateway.ts'],
  ['control-plane/x.ts', '../scripts/fakes/index.ts'],
  ['customer-plane/memory/x.ts', '../egress/egress.ts'],
  ['customer-plane/memory/x.ts', '../leaf/embedded.ts'],
  ['customer-plane/memory/x.ts', '../telemetry/runner-metrics.ts'],
  ['customer-plane/memory/x.ts', '@nats-io/transport-node'],
  ['customer-plane/memory/x.ts', '../../control-plane/config.ts'],
  ['customer-plane/memory/x.ts', '../../test/support/runtime-rig.ts'],
];
const allowed: Array<[string, string]> = [
  ['customer-plane/runner/x.ts', '../../shared/config.ts'],
  ['customer-plane/runner/x.ts', '../../agents/catalog.ts'],
  ['control-plane/llm-proxy/x.ts', '../../shared/llm/index.ts'],
  ['shared/llm/x.ts', './gateway.ts'],
  ['shared/x.ts', './llm/index.ts'],
  ['test/unit/shared/llm/x.ts', '../../../../shared/llm/gateway.ts'],
  ['test/e2e/x.ts', '../../scripts/topology/local-topology.ts'],
  ['scripts/x.ts', '../control-plane/config.ts'],
  ['customer-plane/memory/x.ts', '../runner/ledger/pg-safe.ts'],
];

async function lint(cases: Array<[string, string]>): Promise<Set<string>> {
  const dir = mkdtempSync(join(tmpdir(), 'ap-arch-'));
  try {
    const config = JSON.parse(readFileSync(join(ROOT, 'biome.json'), 'utf8'));
    config.$schema = undefined;
    config.vcs = { enabled: false };
    writeFileSync(join(dir, 'biome.json'), JSON.stringify(config));
    const files = cases.map(([at, spec], i) => {
      const file = at.replace(/x\.ts$/, `case${i}.ts`);
      mkdirSync(join(dir, dirname(file)), { recursive: true });
      writeFileSync(join(dir, file), `import { a } from '${spec}';\nexport const b = a;\n`);
      return file;
    });
    const out = await promisify(execFile)(BIOME, ['lint', '--reporter=json', '--max-diagnostics=none', ...files], { cwd: dir }).catch(
      (err: { stdout: string }) => err,
    );
    const report = JSON.parse(out.stdout) as { diagnostics: Array<{ category: string; location: { path: { file: string } | string } }> };
    const hit = new Set<string>();
    for (const d of report.diagnostics) {
      if (d.category !== 'lint/style/noRestrictedImports') continue;
      const path = typeof d.location.path === 'string' ? d.location.path : d.location.path.file;
      hit.add(path);
    }
    return new Set(files.filter((f) => hit.has(f)).map((f) => String(files.indexOf(f))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the linter refuses every import that crosses the architecture (planes, kernel, test/, llm internals)', async () => {
  const hit = await lint(refused);
  const missed = refused.filter((_, i) => !hit.has(String(i))).map(([at, spec]) => `${at} → ${spec}`);
  assert.deepEqual(missed, [], 'imports the linter let through');
});

test('the linter lets through the imports the layout allows', async () => {
  const hit = await lint(allowed);
  const refusedWrongly = allowed.filter((_, i) => hit.has(String(i))).map(([at, spec]) => `${at} → ${spec}`);
  assert.deepEqual(refusedWrongly, []);
});
