import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlPlaneEnvSchema } from '../../../control-plane/config.ts';
import { customerPlaneEnvSchema } from '../../../customer-plane/config.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.parentPath.includes('node_modules') && !e.parentPath.includes('/dist'))
    .map((e) => join(e.parentPath, e.name));
}

/** Every environment variable a file reads directly (`process.env.X`, `process.env['X']`). */
function readsIn(dirs: string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of dirs.flatMap(tsFiles)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*)['"]\])/g)) {
      found.set(m[1] ?? m[2], file.slice(ROOT.length));
    }
  }
  return found;
}

const documented = (doc: string, name: string) => doc.includes(`\`${name}\``);

test('every environment variable the services and scripts read is documented in the README (schemas and direct reads)', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const missing: string[] = [];
  for (const name of [...Object.keys(controlPlaneEnvSchema.shape), ...Object.keys(customerPlaneEnvSchema.shape)]) {
    if (!documented(readme, name)) missing.push(`${name} (config schema)`);
  }
  for (const [name, file] of readsIn(['shared', 'control-plane', 'customer-plane', 'scripts'])) {
    if (name !== 'PATH' && !documented(readme, name)) missing.push(`${name} (read in ${file})`);
  }
  assert.deepEqual(missing, []);
});

test('the Terraform bundle tools’ variables are documented in terraform/README.md', () => {
  const doc = readFileSync(join(ROOT, 'terraform/README.md'), 'utf8');
  const missing = [...readsIn(['terraform'])].filter(([name]) => !documented(doc, name)).map(([name, file]) => `${name} (${file})`);
  assert.deepEqual(missing, []);
});
