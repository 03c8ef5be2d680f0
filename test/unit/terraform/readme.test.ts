// terraform/README.md is what the customer's security team reads next to the JSON: it must document
// every variable, point at resources that exist, and start the deploy section with verification.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDist, repoRoot } from './tf-json.ts';

const readme = readFileSync(join(repoRoot, 'terraform', 'README.md'), 'utf8');
const tf = loadDist();

test('README documents every variable', () => {
  for (const name of Object.keys(tf.variable)) assert.match(readme, new RegExp(`\\| \`${name}\` \\|`), name);
});

test('README names only resource addresses that exist in the stack', () => {
  // Patterns such as aws_security_group.sg_* or aws_iam_role.{a,b} are prose, not addresses.
  const addresses = [...readme.matchAll(/\b(aws_[a-z0-9_]+)\.([a-z0-9_]+)(?![a-z0-9_*{])/g)];
  assert.ok(addresses.length > 20);
  for (const [, type, name] of addresses) {
    assert.ok(tf.resource[type]?.[name], `${type}.${name} is mentioned but not in main.tf.json`);
  }
});

test('README deploy section starts with bundle verification', () => {
  const deploy = readme.slice(readme.indexOf('## Deploy'));
  const firstStep = deploy.slice(deploy.indexOf('1. '), deploy.indexOf('2. '));
  assert.match(firstStep, /Verify the bundle/);
  assert.match(firstStep, /npm run bundle:verify/);
  assert.match(firstStep, /verify-without-node\.sh/);
});

test('README responsibility matrix covers every area the customer asks about', () => {
  const matrix = readme.slice(readme.indexOf('## Responsibility matrix'), readme.indexOf('## Destroy'));
  for (const area of ['images', 'secrets', 'IAM', 'network', 'patching', 'monitoring', 'backups', 'retention']) {
    const row = matrix.split('\n').find((l) => l.startsWith(`| ${area} |`));
    assert.ok(row, `row for ${area}`);
    assert.match(row, /aws_[a-z_]+\./, `${area} points to a resource`);
  }
});
