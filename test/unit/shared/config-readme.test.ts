// The README's configuration tables are what an operator deploys from: every variable of both planes,
// whether it is required, and its default. These tests read the tables and hold each schema to them,
// entry by entry, so a default that drifts (a wrong bind address, a different state directory, a
// secret given a value) or an undocumented variable fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { z } from 'zod';
import { controlPlaneEnvSchema, EXTERNAL_HUB_VARIABLES } from '../../../control-plane/config.ts';
import { customerPlaneEnvSchema } from '../../../customer-plane/config.ts';
import { loadConfig } from '../../../shared/config.ts';
import { ConfigError } from '../../../shared/errors.ts';
import { generateSigningJwk } from '../../../shared/tokens.ts';

interface Row {
  names: string[];
  /** The table's "required" cell as written (`yes`, `no`, `with \`HUB_NATS_URL\``, …). */
  requiredCell: string;
  required: boolean;
  /** The default when the table gives one literal value (`…`); undefined when it describes what happens instead. */
  literal: string | undefined;
  cell: string;
}

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The rows of the table under the heading that starts with `heading`. */
function table(heading: string): Row[] {
  const start = README.indexOf(`\n${heading}`);
  assert.ok(start >= 0, `README has a section "${heading}"`);
  const rows: Row[] = [];
  for (const line of README.slice(start + 1)
    .split('\n')
    .slice(1)) {
    if (line.startsWith('#')) break;
    if (!line.startsWith('| `')) continue;
    const [names, required, dflt] = line
      .split('|')
      .slice(1, 4)
      .map((c) => c.trim());
    const literal = /^`([^`]+)`$/.exec(dflt)?.[1];
    rows.push({
      names: [...names.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]),
      requiredCell: required,
      required: /^yes\b/.test(required),
      literal,
      cell: dflt,
    });
  }
  assert.ok(rows.length > 10, `${heading}: ${rows.length} rows read`);
  return rows;
}

const planes = [
  {
    name: 'control-plane',
    heading: '### Control plane (',
    schema: controlPlaneEnvSchema as z.ZodObject,
    minimal: { CONTROL_PLANE_TOKEN_KEYS: JSON.stringify([await generateSigningJwk('k1')]) } as Record<string, string>,
  },
  {
    name: 'customer-plane',
    heading: '### Customer plane (',
    schema: customerPlaneEnvSchema as z.ZodObject,
    minimal: { TENANT_ID: '00000000-0000-4000-8000-0000000000aa', CONTROL_PLANE_URL: 'https://cp.example.com' } as Record<string, string>,
  },
];

/** Values the schema gives a variable that is documented as having no literal default: nothing, or an empty list. */
const isEmpty = (v: unknown) =>
  v === undefined || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);

for (const plane of planes) {
  const rows = table(plane.heading);

  test(`${plane.name}: every variable of the schema is in the README table, and every row names a variable of the schema`, () => {
    const documented = rows.flatMap((r) => r.names).sort();
    assert.deepEqual(documented, Object.keys(plane.schema.shape).sort());
  });

  test(`${plane.name}: with nothing set, each variable has the README's default, and those without a literal default have no value`, () => {
    const env = loadConfig(plane.name, plane.schema, plane.minimal) as Record<string, unknown>;
    let literals = 0;
    for (const row of rows) {
      for (const name of row.names) {
        if (name in plane.minimal) continue;
        if (row.literal !== undefined) {
          literals++;
          assert.equal(String(env[name]), row.literal, `${name}: README says \`${row.literal}\``);
        } else {
          assert.ok(isEmpty(env[name]), `${name}: README gives "${row.cell}", the schema gives ${JSON.stringify(env[name])}`);
        }
      }
    }
    assert.ok(literals >= 15, `${literals} literal defaults checked`);
  });

  test(`${plane.name}: exactly the variables the README marks required are missing from an empty environment`, () => {
    const required = rows.filter((r) => r.required).flatMap((r) => r.names);
    assert.deepEqual([...required].sort(), Object.keys(plane.minimal).sort(), 'the minimal environment is the required one');
    try {
      loadConfig(plane.name, plane.schema, {});
      assert.fail('an empty environment was accepted');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, `${plane.name}: invalid configuration: missing required variable(s): ${required.join(', ')}`);
    }
  });
}

test('control-plane: the variables the README requires with HUB_NATS_URL are each named when an external hub is set without them', () => {
  const withHub = table('### Control plane (')
    .filter((r) => r.requiredCell === 'with `HUB_NATS_URL`')
    .flatMap((r) => r.names);
  assert.deepEqual([...withHub].sort(), [...EXTERNAL_HUB_VARIABLES].sort());
  try {
    loadConfig('control-plane', controlPlaneEnvSchema, { ...planes[0].minimal, HUB_NATS_URL: 'nats://hub.internal:4222' });
    assert.fail('an external hub without its variables was accepted');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    for (const name of withHub) assert.match(err.message, new RegExp(`${name} \\(required with HUB_NATS_URL\\)`), name);
  }
});
