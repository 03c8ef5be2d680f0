import { test } from 'node:test';
import { z } from 'zod';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEMPLATES } from '../../../../shared/boundary.ts';
import { ConfigError } from '../../../../shared/errors.ts';
import { CATALOG } from '../../../../agents/catalog/index.ts';
import { TEMPLATE_DEFINITIONS } from '../../../../agents/templates/index.ts';
import type { WorkflowTemplate } from '../../../../agents/types.ts';
import { admitRun, loadEnvironments, parseEnvironments, stalePins } from '../../../../customer-plane/environments/environments.ts';
import { templateHash } from '../../../../customer-plane/environments/template-hash.ts';

const codeReview = TEMPLATE_DEFINITIONS['code-review'];
const good = (extra: Record<string, unknown> = {}) => ({
  environments: {
    sandbox: {
      secrets: { prefix: 'sandbox/' },
      templates: ['code-review', 'index-only'],
      approval: { deadlineSeconds: 60, warnBeforeSeconds: 10 },
      writes: 'allow',
    },
    production: {
      secrets: { prefix: 'production/' },
      templates: ['code-review', 'index-only'],
      approval: { deadlineSeconds: 600, warnBeforeSeconds: 60 },
      writes: 'ask',
      reviewed: { 'code-review': templateHash(codeReview, CATALOG) },
    },
    ...extra,
  },
});

function problemsOf(text: string): string[] {
  try {
    parseEnvironments(text, 'envs.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, 'a ConfigError');
    assert.equal(err.code, 'config_invalid');
    return err.problems;
  }
  assert.fail('expected the configuration to be refused');
}

test('without ENVIRONMENTS_FILE the plane has sandbox, preview and production; production allows nothing unreviewed and asks before writes', async () => {
  const envs = await loadEnvironments();
  assert.deepEqual(envs.names(), ['sandbox', 'preview', 'production']);
  assert.equal(envs.source, 'defaults');
  const prod = envs.getEnvironment('production')!;
  assert.equal(prod.writes, 'ask');
  assert.deepEqual(prod.reviewed, {});
  assert.deepEqual(
    envs.names().map((n) => envs.getEnvironment(n)!.secrets.prefix),
    ['sandbox/', 'preview/', 'production/'],
  );
  assert.deepEqual([...envs.getEnvironment('sandbox')!.templates], [...TEMPLATES]);
  assert.equal(envs.getEnvironment('staging'), undefined);
});

test('a JSON or YAML file replaces the defaults and is read as written', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ap-envs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const json = join(dir, 'envs.json');
  writeFileSync(json, JSON.stringify(good()));
  const envs = await loadEnvironments({ file: json });
  assert.deepEqual(envs.names(), ['sandbox', 'production']);
  assert.deepEqual(envs.getEnvironment('sandbox')!.approval, { deadlineSeconds: 60, warnBeforeSeconds: 10 });
  const yaml = join(dir, 'envs.yaml');
  writeFileSync(
    yaml,
    [
      'environments:',
      '  qa:',
      '    secrets: { prefix: qa/ }',
      '    templates: [index-only]',
      '    approval: { deadlineSeconds: 30, warnBeforeSeconds: 5 }',
      '    writes: ask',
    ].join('\n'),
  );
  const fromYaml = await loadEnvironments({ file: yaml });
  assert.deepEqual(fromYaml.getEnvironment('qa'), {
    name: 'qa',
    secrets: { prefix: 'qa/' },
    templates: ['index-only'],
    approval: { deadlineSeconds: 30, warnBeforeSeconds: 5 },
    writes: 'ask',
    actAloneFrom: 'assisted',
  });
  await assert.rejects(loadEnvironments({ file: join(dir, 'missing.yaml') }), (err: ConfigError) => {
    assert.equal(err.code, 'config_invalid');
    assert.match(err.message, /missing\.yaml cannot be read \(ENOENT\)/);
    return true;
  });
});

test('a malformed environments file is refused with one message naming every problem', () => {
  const file = good({
    'Bad Name': {
      secrets: { prefix: 'x/' },
      templates: ['index-only'],
      approval: { deadlineSeconds: 5, warnBeforeSeconds: 1 },
      writes: 'allow',
    },
    preview: {
      secrets: { prefix: 'sandbox/eu/' },
      templates: ['code-review', 'code-review', 'no-such-template'],
      approval: { deadlineSeconds: 0, warnBeforeSeconds: 10 },
      writes: 'sometimes',
      reviewed: { 'index-only': 'not-a-hash' },
      color: 'blue',
    },
  });
  (file.environments as Record<string, any>).production.writes = 'allow';
  delete (file.environments as Record<string, any>).production.reviewed;
  const problems = problemsOf(JSON.stringify(file));
  const expected = [
    /environment name "Bad Name" is not valid/,
    /unknown field\(s\) color in environments\.preview/,
    /environments\.preview\.templates\.2: /,
    /environments\.preview\.approval\.deadlineSeconds: /,
    /environments\.preview\.writes: /,
    /environments\.preview\.reviewed\.index-only: a sha256 hex digest/,
    /environments\.production\.writes: production must ask before every write/,
    /environments\.production\.reviewed: production runs only reviewed templates/,
  ];
  for (const re of expected)
    assert.ok(
      problems.some((p) => re.test(p)),
      `${re} among:\n${problems.join('\n')}`,
    );
  for (const p of problems) assert.match(p, /^ENVIRONMENTS_FILE envs\.yaml: /, 'each problem says which file');
});

test('cross-field rules: warnings before the deadline, listed templates, reviewed ⊆ templates, separate secret scopes', () => {
  const file = good({
    preview: {
      secrets: { prefix: 'sandbox/eu/' },
      templates: ['code-review', 'code-review'],
      approval: { deadlineSeconds: 60, warnBeforeSeconds: 60 },
      writes: 'allow',
      reviewed: { 'index-only': 'a'.repeat(64) },
    },
  });
  const problems = problemsOf(JSON.stringify(file));
  assert.deepEqual(problems.sort(), [
    'ENVIRONMENTS_FILE envs.yaml: environments.preview.approval.warnBeforeSeconds: must be less than deadlineSeconds',
    'ENVIRONMENTS_FILE envs.yaml: environments.preview.reviewed.index-only: a reviewed template must also be in templates',
    "ENVIRONMENTS_FILE envs.yaml: environments.preview.secrets.prefix: overlaps sandbox's prefix: each environment needs its own secret scope",
    'ENVIRONMENTS_FILE envs.yaml: environments.preview.templates: code-review is listed twice',
  ]);
  assert.deepEqual(problemsOf('environments: {}'), ['ENVIRONMENTS_FILE envs.yaml: environments: define at least one environment']);
  assert.match(problemsOf('environments: [unclosed')[0], /is not valid JSON or YAML/);
  assert.match(problemsOf('environments: {}\nenvironments: {}')[0], /is not valid JSON or YAML \(DUPLICATE_KEY\)/);
  assert.match(problemsOf('[]')[0], /\(file\): /);
});

test('admission: an unknown environment, a template it does not allow, and in production a template not pinned or changed since it was pinned', () => {
  const envs = parseEnvironments(JSON.stringify(good()), 'envs.json');
  assert.deepEqual(admitRun(envs, 'sandbox', codeReview, CATALOG).ok, true);
  const refused = (name: string, template: WorkflowTemplate) => {
    const a = admitRun(envs, name, template, CATALOG);
    return a.ok ? 'admitted' : a.code;
  };
  assert.equal(refused('staging', codeReview), 'unknown_environment');
  assert.equal(refused('sandbox', TEMPLATE_DEFINITIONS['security-audit']), 'template_not_allowed');
  assert.equal(refused('production', codeReview), 'admitted');
  assert.equal(refused('production', TEMPLATE_DEFINITIONS['index-only']), 'template_not_reviewed', 'allowed but never pinned');
  const edited = {
    ...CATALOG,
    reviewer: { ...CATALOG.reviewer, prompt: `${(CATALOG.reviewer as { prompt: string }).prompt}\nAlso push.` },
  };
  assert.equal(admitRun(envs, 'production', codeReview, edited as typeof CATALOG).ok, false, 'an agent prompt changed after review');
  assert.deepEqual(stalePins(envs, TEMPLATE_DEFINITIONS, edited as typeof CATALOG), [
    { environment: 'production', template: 'code-review' },
  ]);
  assert.deepEqual(stalePins(envs, TEMPLATE_DEFINITIONS, CATALOG), []);
});

test('the template hash covers the template and its agents’ prompts, tools, programs and budgets, and nothing else moves it', () => {
  const base = templateHash(codeReview, CATALOG);
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.equal(templateHash(structuredClone({ ...codeReview, steps: codeReview.steps.map((s) => ({ ...s })) }), { ...CATALOG }), base);
  const variants: Array<[string, WorkflowTemplate, typeof CATALOG]> = [
    ['a step more', { ...codeReview, steps: [...codeReview.steps, { id: 'x', agent: 'indexer', needs: [] }] }, CATALOG],
    ['a step param', { ...codeReview, steps: codeReview.steps.map((s, i) => (i ? s : { ...s, params: { a: 'b' } })) }, CATALOG],
    ['a tool more', codeReview, { ...CATALOG, reviewer: { ...CATALOG.reviewer, tools: [...CATALOG.reviewer.tools, 'write_file'] } }],
    ['a program more', codeReview, { ...CATALOG, 'lint-runner': { ...CATALOG['lint-runner'], programs: ['eslint', 'sh'] } }],
    ['a bigger budget', codeReview, { ...CATALOG, reviewer: { ...CATALOG.reviewer, budget: { maxSteps: 999, maxTokens: 1 } } }],
  ];
  for (const [what, template, catalog] of variants) assert.notEqual(templateHash(template, catalog), base, what);
  const unrelated = { ...CATALOG, fixer: { ...CATALOG.fixer, purpose: 'changed' } };
  assert.equal(templateHash(codeReview, unrelated), base, 'an agent the template does not run');
});

test('secret scopes: a prefix is path segments ending in "/", 2 to 64 characters, and no scope may contain another in either order', () => {
  const env = (prefix: string) => ({
    secrets: { prefix },
    templates: ['index-only'],
    approval: { deadlineSeconds: 60, warnBeforeSeconds: 0 },
    writes: 'allow',
  });
  const prefixProblems = (prefix: string) =>
    problemsOf(JSON.stringify({ environments: { qa: env(prefix) } })).filter((p) => p.includes('environments.qa.secrets.prefix'));
  for (const bad of ['production', '/abs/', '../up/', 'a//', './', `${'a'.repeat(64)}/`, 'a b/', '/'])
    assert.equal(prefixProblems(bad).length, 1, `${JSON.stringify(bad)} is refused`);
  for (const ok of ['qa/', 'eu/qa/', 'Team_1.x-y/', `${'a'.repeat(63)}/`])
    assert.doesNotThrow(() => parseEnvironments(JSON.stringify({ environments: { qa: env(ok) } }), 'envs.yaml'), ok);
  // The longer prefix first this time: the shorter one, listed later, contains it.
  const nested = problemsOf(JSON.stringify({ environments: { deep: env('team/qa/'), wide: env('team/') } }));
  assert.deepEqual(nested, [
    "ENVIRONMENTS_FILE envs.yaml: environments.wide.secrets.prefix: overlaps deep's prefix: each environment needs its own secret scope",
  ]);
  assert.doesNotThrow(() => parseEnvironments(JSON.stringify({ environments: { a: env('team-a/'), b: env('team/') } }), 'x'));
});

test('approval timing: a deadline of at most 7 days, whole seconds, and a warning that may be at the deadline’s start but not before zero', () => {
  const withApproval = (approval: unknown) =>
    JSON.stringify({ environments: { qa: { secrets: { prefix: 'qa/' }, templates: ['index-only'], approval, writes: 'allow' } } });
  assert.doesNotThrow(() => parseEnvironments(withApproval({ deadlineSeconds: 7 * 24 * 3600, warnBeforeSeconds: 0 }), 'x'));
  for (const bad of [
    { deadlineSeconds: 7 * 24 * 3600 + 1, warnBeforeSeconds: 0 },
    { deadlineSeconds: 0, warnBeforeSeconds: 0 },
    { deadlineSeconds: 1.5, warnBeforeSeconds: 0 },
    { deadlineSeconds: 60, warnBeforeSeconds: -1 },
    { deadlineSeconds: 60, warnBeforeSeconds: 61 },
    { deadlineSeconds: 60 },
  ])
    assert.ok(
      problemsOf(withApproval(bad)).some((p) => p.includes('environments.qa.approval')),
      JSON.stringify(bad),
    );
});

test('one message per problem says where it is: unknown fields at the top, a template listed twice, a pin for a template that is gone', () => {
  assert.deepEqual(problemsOf(JSON.stringify({ ...good(), extra: 1 })), ['ENVIRONMENTS_FILE envs.yaml: unknown field(s) extra']);
  const envs = parseEnvironments(JSON.stringify(good()), 'envs.json');
  const { 'code-review': _gone, ...withoutCodeReview } = TEMPLATE_DEFINITIONS;
  assert.deepEqual(stalePins(envs, withoutCodeReview, CATALOG), [{ environment: 'production', template: 'code-review' }]);
  const sandbox = envs.getEnvironment('sandbox')!;
  assert.ok(Object.isFrozen(sandbox), 'an environment cannot be changed after the check');
});

test('a definition with the wrong types is refused with a message, never a crash: a null environment, missing or non-text secret prefixes', () => {
  const valid = good().environments.sandbox;
  for (const [what, extra] of [
    ['a null environment', { qa: null }],
    ['no secrets', { qa: { ...valid, secrets: undefined } }],
    ['null secrets', { qa: { ...valid, secrets: null } }],
    ['a number as prefix', { qa: { ...valid, secrets: { prefix: 5 } } }],
  ] as const) {
    const problems = problemsOf(JSON.stringify(good(extra as Record<string, unknown>)));
    assert.ok(
      problems.some((p) => p.startsWith('ENVIRONMENTS_FILE envs.yaml: environments.qa')),
      `${what}: ${problems.join('\n')}`,
    );
  }
  assert.equal(problemsOf('environments: 5').length, 1, 'environments that are not a map: one problem');
});

test('actAloneFrom is assisted or autonomous, assisted when left out', () => {
  const env = (actAloneFrom?: string) =>
    JSON.stringify({
      environments: {
        qa: {
          secrets: { prefix: 'qa/' },
          templates: ['index-only'],
          approval: { deadlineSeconds: 60, warnBeforeSeconds: 0 },
          writes: 'allow',
          actAloneFrom,
        },
      },
    });
  assert.equal(parseEnvironments(env('autonomous'), 'x').getEnvironment('qa')!.actAloneFrom, 'autonomous');
  assert.equal(parseEnvironments(env('assisted'), 'x').getEnvironment('qa')!.actAloneFrom, 'assisted');
  assert.equal(parseEnvironments(env(), 'x').getEnvironment('qa')!.actAloneFrom, 'assisted');
  assert.ok(problemsOf(env('always')).some((p) => p.includes('environments.qa.actAloneFrom')));
});

test('a refused run says which environment and why: not allowed, not pinned, or changed since it was pinned', () => {
  const envs = parseEnvironments(JSON.stringify(good()), 'envs.json');
  const edited = { ...CATALOG, reviewer: { ...CATALOG.reviewer, purpose: 'changed' } } as typeof CATALOG;
  const cases: Array<[string, WorkflowTemplate, typeof CATALOG, string, RegExp]> = [
    ['staging', codeReview, CATALOG, 'unknown_environment', /no environment of that name/],
    ['sandbox', TEMPLATE_DEFINITIONS['security-audit'], CATALOG, 'template_not_allowed', /the sandbox environment does not allow/],
    ['production', TEMPLATE_DEFINITIONS['index-only'], CATALOG, 'template_not_reviewed', /not pinned as reviewed for production/],
    ['production', codeReview, edited, 'template_not_reviewed', /changed since it was reviewed for production/],
  ];
  for (const [name, template, catalog, code, message] of cases) {
    const a = admitRun(envs, name, template, catalog);
    assert.equal(!a.ok && a.code, code, `${name} ${template.name}`);
    assert.match(!a.ok ? a.message : '', message, `${name} ${template.name}`);
  }
});

test('the template hash also moves with a step’s needs and params, a deterministic agent’s run function and an agent’s output schema', () => {
  const base = templateHash(codeReview, CATALOG);
  const withParams = (params: Record<string, string>) => ({
    ...codeReview,
    steps: codeReview.steps.map((s, i) => (i ? s : { ...s, params })),
  });
  assert.notEqual(templateHash(withParams({ a: 'b' }), CATALOG), templateHash(withParams({ a: 'c' }), CATALOG), 'a param value');
  const needs = { ...codeReview, steps: codeReview.steps.map((s) => (s.id === 'review' ? { ...s, needs: ['index'] } : s)) };
  assert.notEqual(templateHash(needs, CATALOG), base, 'what a step needs');
  const indexer = CATALOG.indexer as Extract<(typeof CATALOG)['indexer'], { kind: 'deterministic' }>;
  const newRun = { ...CATALOG, indexer: { ...indexer, run: async () => ({ findings: [] }) } } as unknown as typeof CATALOG;
  assert.notEqual(templateHash(codeReview, newRun), base, 'a deterministic agent’s run function');
  const newOutput = { ...CATALOG, reviewer: { ...CATALOG.reviewer, output: z.object({ other: z.string() }) } } as unknown as typeof CATALOG;
  assert.notEqual(templateHash(codeReview, newOutput), base, 'an agent’s output schema');
});

test('the messages name the offending name and fields: an invalid environment name with its rule, every unknown field', () => {
  const named = problemsOf(JSON.stringify({ environments: { 'Bad Name': {} } }));
  assert.ok(
    named.includes(
      'ENVIRONMENTS_FILE envs.yaml: environments.Bad Name: environment name "Bad Name" is not valid (environment: a lowercase letter, then lowercase letters, digits and dashes, at most 32)',
    ),
    named.join('\n'),
  );
  const valid = good().environments.sandbox;
  assert.deepEqual(problemsOf(JSON.stringify({ environments: { qa: { ...valid, a: 1, b: 2 } } })), [
    'ENVIRONMENTS_FILE envs.yaml: unknown field(s) a, b in environments.qa',
  ]);
});

test('the shipped environments are the ones the README documents: writes, who acts alone, and each approval deadline with its warning', async () => {
  const envs = await loadEnvironments();
  assert.deepEqual(
    envs.names().map((n) => {
      const e = envs.getEnvironment(n)!;
      return [n, e.writes, e.actAloneFrom, e.approval.deadlineSeconds, e.approval.warnBeforeSeconds];
    }),
    [
      ['sandbox', 'allow', 'assisted', 3600, 300],
      ['preview', 'allow', 'autonomous', 3600, 300],
      ['production', 'ask', 'autonomous', 4 * 3600, 900],
    ],
  );
});

test('a pinned review hash is 64 lowercase hex characters and nothing around them', () => {
  const hash = templateHash(codeReview, CATALOG);
  for (const pin of [`x${hash}`, `${hash}x`, hash.toUpperCase(), hash.slice(1)]) {
    const doc = good();
    (doc.environments.production as { reviewed: Record<string, string> }).reviewed = { 'code-review': pin };
    const problems = problemsOf(JSON.stringify(doc));
    assert.equal(problems.length, 1, `${pin}: ${problems.join('\n')}`);
    assert.match(problems[0], /environments\.production\.reviewed\.code-review/, pin);
  }
});

test('each rule of an environment says what it wants: the secret prefix form, at least one template, at most 7 days', () => {
  const sandbox = good().environments.sandbox;
  const one = (env: Record<string, unknown>) => problemsOf(JSON.stringify({ environments: { qa: env } }));
  assert.deepEqual(one({ ...sandbox, secrets: { prefix: 'no-slash' } }), [
    'ENVIRONMENTS_FILE envs.yaml: environments.qa.secrets.prefix: a secret-name prefix: path segments of letters, digits and `_.-`, ending in `/` (e.g. `production/`), at most 64',
  ]);
  assert.deepEqual(one({ ...sandbox, templates: [] }), [
    'ENVIRONMENTS_FILE envs.yaml: environments.qa.templates: list at least one template',
  ]);
  assert.deepEqual(one({ ...sandbox, approval: { deadlineSeconds: 7 * 24 * 3600 + 1, warnBeforeSeconds: 10 } }), [
    'ENVIRONMENTS_FILE envs.yaml: environments.qa.approval.deadlineSeconds: at most 7 days',
  ]);
});

test('the template hash of a template whose agent is missing from the catalog is still a hash, and not the one with the agent', () => {
  const { reviewer: _reviewer, ...withoutReviewer } = CATALOG;
  const hash = templateHash(codeReview, withoutReviewer);
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.notEqual(hash, templateHash(codeReview, CATALOG));
});

test('the template hash reads an output schema as its input shape, so parts JSON Schema cannot express still move it', () => {
  const withOutput = (output: z.ZodType) =>
    templateHash(codeReview, { ...CATALOG, reviewer: { ...CATALOG.reviewer, output } } as unknown as typeof CATALOG);
  // A transform has no JSON Schema as output; as input it is the type it reads.
  assert.notEqual(
    withOutput(z.object({ a: z.string().transform((s) => s.length) })),
    withOutput(z.object({ a: z.number().transform((n) => n + 1) })),
    'what a transformed field accepts',
  );
  // A date has no JSON Schema at all: the other fields beside it still count.
  assert.notEqual(
    withOutput(z.object({ at: z.date(), a: z.string() })),
    withOutput(z.object({ at: z.date(), b: z.string() })),
    'fields beside a date',
  );
});
