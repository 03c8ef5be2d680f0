// The committed terraform/dist/main.tf.json is what customers apply, so it must be exactly what the code
// produces today, and it must be well-formed Terraform JSON.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { synthesize } from '../../../terraform/src/synth.ts';
import { distFile, type Json } from './tf-json.ts';

const fresh = synthesize();
const committed = readFileSync(distFile, 'utf8');

test('committed terraform/dist/main.tf.json equals a fresh synth (run `npm run synth` and commit)', () => {
  if (fresh === committed) return;
  const a = committed.split('\n');
  const b = fresh.split('\n');
  const line = a.findIndex((l, i) => l !== b[i]);
  assert.fail(`terraform/dist/main.tf.json is stale; first difference at line ${line + 1}:\n- ${a[line]}\n+ ${b[line]}`);
});

test('synth is deterministic and free of machine-specific paths and cdktf bookkeeping', () => {
  assert.equal(synthesize(), fresh);
  assert.doesNotMatch(fresh, /"\/\/"/, 'no cdktf metadata blocks');
  assert.doesNotMatch(fresh, /\/(home|root|tmp|work|Users)\//, 'no absolute paths');
  assert.doesNotMatch(fresh, /TfToken\[|\$\{Token\[/, 'every cdktf token resolved');
});

/** Returns the problem with a template string, if any: an interpolation nested outside a string literal. */
function templateProblem(s: string): string | undefined {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '$' && s[i + 2] === '{') {
      i += 2; // escaped literal "${"
      continue;
    }
    if (s[i] !== '$' || s[i + 1] !== '{') continue;
    let depth = 1;
    let inString = false;
    let j = i + 2;
    for (; j < s.length && depth > 0; j++) {
      const c = s[j];
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '$' && s[j + 1] === '{') return `nested interpolation at ${j}: ${s.slice(i, i + 80)}`;
      else if (c === '{') depth++;
      else if (c === '}') depth--;
    }
    if (depth !== 0) return `unterminated interpolation: ${s.slice(i, i + 80)}`;
    i = j - 1;
  }
  return undefined;
}

test('every interpolation is well-formed HCL (no nested ${...}, all closed)', () => {
  const problems: string[] = [];
  const walk = (v: Json, path: string) => {
    if (typeof v === 'string') {
      const p = templateProblem(v);
      if (p) problems.push(`${path}: ${p}`);
    } else if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`);
    } else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
  };
  walk(JSON.parse(fresh) as Json, '$');
  assert.deepEqual(problems, []);
});

test('every variable has a description and a type; every non-trivial input is validated', () => {
  const vars = (JSON.parse(fresh) as { variable: Record<string, { description?: string; type?: string; validation?: unknown }> }).variable;
  const unvalidated = new Set(['deletion_protection', 'db_multi_az', 'scale_to_zero_off_hours', 'extra_tags']);
  for (const [name, v] of Object.entries(vars)) {
    assert.ok(v.description && v.description.length > 20, `${name} description`);
    assert.ok(v.type, `${name} type`);
    if (!unvalidated.has(name)) assert.ok(v.validation, `${name} validation`);
  }
  for (const required of ['region', 'tenant_id', 'hub_url', 'vpc_cidr', 'llm_mode', 'log_retention_days', 'deletion_protection']) {
    assert.ok(required in vars, required);
  }
});
