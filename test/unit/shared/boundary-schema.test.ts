// The boundary schema, walked: the valid samples and every poisoned case are derived from the schema
// itself, so a field added to shared/boundary.ts is tried without anyone writing a sample for it. A
// string field must be a closed list, a literal or one of the known formats (IDs, hashes, days): a
// free-text string fails the walk. A number field must have its range declared below, so a new count
// is reviewed for the column it is stored in.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { batchSchema, checkEvent, eventSchemas, MAX_EVENTS_PER_BATCH, workflowEventSchema } from '../../../shared/boundary.ts';
import { newUlid } from '../../../shared/ids.ts';
import type { UpKind } from '../../../shared/subjects.ts';

const CANARY = `CANARY-${randomBytes(8).toString('hex')}`;
const INT32_MAX = 2 ** 31 - 1;
const EPOCH_MS: Range = [1_500_000_000_000, 4_102_444_800_000];
const COUNT: Range = [0, Number.MAX_SAFE_INTEGER];
const WEEK_MS = 7 * 24 * 3600 * 1000;

type Range = [number, number];
/**
 * The range every number field must accept, and nothing outside it: what the control plane stores it in.
 * `integer` is false only for metric values (any finite number).
 */
const NUMBER_FIELDS: Record<string, { range: Range; integer: boolean }> = {
  at: { range: EPOCH_MS, integer: true },
  startedAt: { range: EPOCH_MS, integer: true },
  durationMs: { range: [0, WEEK_MS], integer: true },
  steps: { range: [0, INT32_MAX], integer: true },
  index: { range: [0, 1000], integer: true },
  llmCalls: { range: [0, INT32_MAX], integer: true },
  toolCalls: { range: [0, INT32_MAX], integer: true },
  refusals: { range: [0, INT32_MAX], integer: true },
  patches: { range: [0, INT32_MAX], integer: true },
  'decisions.count': { range: [0, INT32_MAX], integer: true },
  inputTokens: { range: COUNT, integer: true },
  outputTokens: { range: COUNT, integer: true },
  cachedInputTokens: { range: COUNT, integer: true },
  cacheCreationTokens: { range: COUNT, integer: true },
  requests: { range: COUNT, integer: true },
  cancelledRequests: { range: COUNT, integer: true },
  estimatedRequests: { range: COUNT, integer: true },
  failovers: { range: COUNT, integer: true },
  occurrences: { range: COUNT, integer: true },
  count: { range: COUNT, integer: true },
  'findings.info': { range: COUNT, integer: true },
  'findings.low': { range: COUNT, integer: true },
  'findings.medium': { range: COUNT, integer: true },
  'findings.high': { range: COUNT, integer: true },
  'findings.critical': { range: COUNT, integer: true },
  value: { range: [-Number.MAX_VALUE, Number.MAX_VALUE], integer: false },
};

/** The string formats the boundary admits, by their pattern: a valid value and its near misses. */
const FORMATS: Record<string, { valid: () => string; invalid: string[] }> = {
  '^[0-9A-HJKMNP-TV-Z]{26}$': {
    valid: newUlid,
    invalid: ['01ARZ3NDEKTSV4RRFFQ69G5FA', '01ARZ3NDEKTSV4RRFFQ69G5FAVX', '01arz3ndektsv4rrffq69g5fav', '01ARZ3NDEKTSV4RRFFQ69G5FAU'],
  },
  '^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$': {
    valid: () => '0f8fad5b-d9cb-469f-a165-70867728950e',
    invalid: ['0F8FAD5B-D9CB-469F-A165-70867728950E', '0f8fad5b-d9cb-069f-a165-70867728950e', '0f8fad5bd9cb469fa16570867728950e'],
  },
  '^[0-9a-f]{64}$': { valid: () => 'ab'.repeat(32), invalid: ['AB'.repeat(32), 'ab'.repeat(31), `${'ab'.repeat(32)}0`] },
  '^\\d{4}-\\d{2}-\\d{2}$': { valid: () => '2026-03-04', invalid: ['2026-3-4', '20260304', '0000-01-01', '2026-02-30'] },
};

type Leaf =
  | { kind: 'literal'; path: string[]; optional: boolean; value: string }
  | { kind: 'enum'; path: string[]; optional: boolean; values: string[] }
  | { kind: 'format'; path: string[]; optional: boolean; pattern: string }
  | { kind: 'number'; path: string[]; optional: boolean };

type Walked = { sample: unknown; leaves: Leaf[]; objects: string[][] };

// zod 4 keeps a schema's definition on `.def`; only the shapes the boundary uses are walked, anything
// else fails the test so it is looked at.
function walk(schema: any, path: string[] = [], optional = false): Walked {
  const def = schema.def;
  switch (def.type) {
    case 'optional':
      return walk(def.innerType, path, true);
    case 'object': {
      const sample: Record<string, unknown> = {};
      const leaves: Leaf[] = [];
      const objects: string[][] = [path];
      for (const [key, child] of Object.entries(def.shape)) {
        const w = walk(child, [...path, key]);
        sample[key] = w.sample;
        leaves.push(...w.leaves);
        objects.push(...w.objects);
      }
      return { sample, leaves, objects };
    }
    case 'array': {
      const w = walk(def.element, [...path, '0']);
      return { sample: [w.sample], leaves: w.leaves, objects: w.objects };
    }
    case 'literal':
      return { sample: def.values[0], leaves: [{ kind: 'literal', path, optional, value: def.values[0] }], objects: [] };
    case 'enum': {
      const values = Object.values(def.entries) as string[];
      return { sample: values[0], leaves: [{ kind: 'enum', path, optional, values }], objects: [] };
    }
    case 'string': {
      const pattern = (def.checks ?? []).map((c: any) => c._zod.def.pattern?.source).find(Boolean);
      assert.ok(pattern && FORMATS[pattern], `${path.join('.')}: a string field without a known format is free text`);
      return { sample: FORMATS[pattern].valid(), leaves: [{ kind: 'format', path, optional, pattern }], objects: [] };
    }
    case 'number': {
      const spec = NUMBER_FIELDS[numberKey(path)];
      assert.ok(spec, `${path.join('.')}: a number field needs its range in NUMBER_FIELDS`);
      const v = spec.range[0] === -Number.MAX_VALUE ? 1 : spec.range[0];
      return { sample: v, leaves: [{ kind: 'number', path, optional }], objects: [] };
    }
    default:
      assert.fail(`${path.join('.')}: the boundary schema has a ${def.type} the walk does not know`);
  }
}

const numberKey = (path: string[]) => path.filter((p) => p !== '0').join('.');

/** Every schema an up event can match: each kind, and each member of the meta union. */
function eventVariants(): Array<{ kind: UpKind; name: string; walked: Walked }> {
  const out: Array<{ kind: UpKind; name: string; walked: Walked }> = [];
  for (const [kind, schema] of Object.entries(eventSchemas) as [UpKind, any][]) {
    if (schema.def.type === 'union') {
      for (const option of schema.def.options)
        out.push({ kind, name: `${kind}/${option.def.shape.type.def.values[0]}`, walked: walk(option) });
    } else out.push({ kind, name: kind, walked: walk(schema) });
  }
  return out;
}

function withValue(sample: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(sample) as any;
  let at = copy;
  for (const p of path.slice(0, -1)) at = at[p];
  if (value === undefined) delete at[path.at(-1)!];
  else at[path.at(-1)!] = value;
  return copy;
}

function rejected(kind: UpKind, event: unknown, what: string, field?: string) {
  const r = checkEvent(kind, event);
  assert.equal(r.ok, false, `${what} must be rejected`);
  if (r.ok) return;
  assert.equal(r.rejection.reason, 'boundary_violation', what);
  assert.ok(!JSON.stringify(r).includes(CANARY), `${what}: the rejection must not carry the value`);
  if (field !== undefined) assert.equal(r.rejection.field, field, `${what}: the rejection names the field`);
  assert.match(r.rejection.issue, /^[a-z_]+$/, `${what}: the rule is a code`);
}

test('the walk reaches every kind of up event, and each sample it derives from the schema passes', () => {
  const variants = eventVariants();
  assert.deepEqual(
    variants.map((v) => v.name),
    [
      'meta/workflow.started',
      'meta/workflow.heartbeat',
      'meta/workflow.finished',
      'meta/step.finished',
      'meta/gate.decisions',
      'otel',
      'usage',
      'patterns',
    ],
  );
  for (const { kind, name, walked } of variants) {
    const r = checkEvent(kind, walked.sample);
    assert.equal(r.ok, true, `${name}: ${JSON.stringify(r)}`);
    // The smallest event (a heartbeat: type, id, workflow, time) still has four leaves to poison.
    assert.ok(walked.leaves.length >= 4, name);
  }
});

test('every string field, at any depth, takes only its closed list or format: the canary, an empty string, or the canary around a valid value is rejected naming the field', () => {
  let tried = 0;
  for (const { kind, name, walked } of eventVariants()) {
    for (const leaf of walked.leaves) {
      if (leaf.kind === 'number') continue;
      const valid = leaf.kind === 'literal' ? leaf.value : leaf.kind === 'enum' ? leaf.values[0] : FORMATS[leaf.pattern].valid();
      const field = leaf.path.join('.');
      const poisons = [
        '',
        CANARY,
        `${valid} ${CANARY}`,
        `${CANARY}${valid}`,
        `${valid}${CANARY}`,
        `${valid}\n`,
        ` ${valid}`,
        7,
        null,
        [valid],
        { v: CANARY },
      ];
      if (leaf.kind === 'format') poisons.push(...FORMATS[leaf.pattern].invalid);
      if (leaf.kind === 'enum') poisons.push(valid.toUpperCase() === valid ? valid.toLowerCase() : valid.toUpperCase());
      // A literal is the union's discriminator: a wrong one fails before any field is looked at.
      const expectField = leaf.kind === 'literal' ? undefined : field;
      for (const p of poisons) {
        rejected(kind, withValue(walked.sample, leaf.path, p), `${name}.${field} = ${JSON.stringify(p)}`, expectField);
        tried++;
      }
    }
  }
  assert.ok(tried > 400, `${tried} cases`);
});

test('every closed list admits each of its members, and only them', () => {
  for (const { kind, name, walked } of eventVariants()) {
    for (const leaf of walked.leaves) {
      if (leaf.kind !== 'enum') continue;
      for (const v of leaf.values) {
        assert.equal(checkEvent(kind, withValue(walked.sample, leaf.path, v)).ok, true, `${name}.${leaf.path.join('.')} = ${v}`);
      }
      assert.equal(new Set(leaf.values).size, leaf.values.length);
      for (const v of leaf.values) assert.match(v, /^[a-z][a-z0-9_.-]*$/, `${name}.${leaf.path.join('.')}: ${JSON.stringify(v)}`);
    }
  }
});

test('every number field takes exactly its declared range: both ends accepted, one past either end, fractions, strings and non-finite values rejected', () => {
  for (const { kind, name, walked } of eventVariants()) {
    for (const leaf of walked.leaves) {
      if (leaf.kind !== 'number') continue;
      const field = leaf.path.join('.');
      const { range, integer } = NUMBER_FIELDS[numberKey(leaf.path)];
      const [min, max] = range;
      const at = (v: unknown) => withValue(walked.sample, leaf.path, v);
      if (integer) {
        for (const v of [min, max, Math.floor((min + max) / 2)]) assert.equal(checkEvent(kind, at(v)).ok, true, `${name}.${field} = ${v}`);
        for (const v of [min - 1, max === Number.MAX_SAFE_INTEGER ? max + 2 : max + 1, min + 0.5])
          rejected(kind, at(v), `${name}.${field} = ${v}`, field);
      } else {
        for (const v of [min, max, 0, -1.5, 2.25]) assert.equal(checkEvent(kind, at(v)).ok, true, `${name}.${field} = ${v}`);
      }
      for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, CANARY, String(min), null, true]) {
        rejected(kind, at(v), `${name}.${field} = ${String(v)}`, field);
      }
    }
  }
});

test('an extra field at any level of any event is rejected, and so is a missing required field', () => {
  for (const { kind, name, walked } of eventVariants()) {
    for (const objectPath of walked.objects) {
      const target = objectPath.reduce((o: any, p) => o[p], walked.sample) as Record<string, unknown>;
      const event = withValue(walked.sample, [...objectPath, CANARY], 1);
      if (objectPath.length === 0) rejected(kind, event, `${name}: extra field`, '(event)');
      else rejected(kind, event, `${name}.${objectPath.join('.')}: extra field`, objectPath.join('.'));
      assert.ok(Object.keys(target).length > 0);
    }
    for (const leaf of walked.leaves) {
      const without = withValue(walked.sample, leaf.path, undefined);
      if (leaf.optional) assert.equal(checkEvent(kind, without).ok, true, `${name}.${leaf.path.join('.')} is optional`);
      else if (leaf.kind !== 'literal') rejected(kind, without, `${name} without ${leaf.path.join('.')}`, leaf.path.join('.'));
    }
  }
});

test('an event that is not an object at all is rejected as a whole', () => {
  for (const kind of Object.keys(eventSchemas) as UpKind[]) {
    for (const v of [CANARY, null, 3, [], undefined]) rejected(kind, v, `${kind} ${JSON.stringify(v)}`, '(event)');
  }
});

test('a step never claims a duration of more than a week', () => {
  const step = eventVariants().find((v) => v.name === 'meta/step.finished')!.walked.sample as Record<string, unknown>;
  assert.equal(workflowEventSchema.safeParse({ ...step, durationMs: WEEK_MS }).success, true);
  assert.equal(workflowEventSchema.safeParse({ ...step, durationMs: WEEK_MS + 1 }).success, false);
});

test('the signed envelope takes a UUID tenant, a positive safe-integer seq, a plausible iat, a known kind and 1 to 1000 events, and nothing else', () => {
  const batch = { tenant: '0f8fad5b-d9cb-469f-a165-70867728950e', seq: 1, iat: 1_700_000_000, kind: 'usage', events: [{}] };
  const ok = (b: unknown) => batchSchema.safeParse(b).success;
  assert.equal(ok(batch), true);
  for (const kind of ['meta', 'otel', 'usage', 'patterns']) assert.equal(ok({ ...batch, kind }), true, kind);
  assert.equal(ok({ ...batch, seq: Number.MAX_SAFE_INTEGER }), true);
  assert.equal(ok({ ...batch, iat: 1_500_000_000 }), true);
  assert.equal(ok({ ...batch, iat: 2_000_000_000 }), true);
  assert.equal(ok({ ...batch, events: Array.from({ length: MAX_EVENTS_PER_BATCH }, () => ({})) }), true);
  assert.equal(MAX_EVENTS_PER_BATCH, 1000);
  const bad: Array<[string, unknown]> = [
    ['tenant not a UUID', { ...batch, tenant: CANARY }],
    ['seq 0', { ...batch, seq: 0 }],
    ['seq 2', { ...batch, seq: 2.5 }],
    ['seq beyond safe integers', { ...batch, seq: Number.MAX_SAFE_INTEGER + 2 }],
    ['iat before 2017', { ...batch, iat: 1_499_999_999 }],
    ['iat in ms', { ...batch, iat: 1.5 }],
    ['unknown kind', { ...batch, kind: 'logs' }],
    ['empty kind', { ...batch, kind: '' }],
    ['no events', { ...batch, events: [] }],
    ['too many events', { ...batch, events: Array.from({ length: MAX_EVENTS_PER_BATCH + 1 }, () => ({})) }],
    ['extra field', { ...batch, note: CANARY }],
    ['missing seq', { tenant: batch.tenant, iat: batch.iat, kind: batch.kind, events: batch.events }],
  ];
  for (const [what, b] of bad) assert.equal(ok(b), false, what);
});
