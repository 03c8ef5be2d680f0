import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deniedEnvName, envSecretName, MAX_ENV_ENTRIES } from '../../../agents/command-env.ts';
import { toolInputSchemas } from '../../../agents/tools.ts';
import { toolsFor } from '../../../customer-plane/runner/agent-loop.ts';

const REF = '{{secret:NPM_TOKEN}}';
const parse = (env: unknown) => toolInputSchemas.run_command.safeParse({ command: 'npm publish', env });
/** The messages the gate would show, as `path: message` (gate.ts formats its invalid_arguments refusal so). */
const problems = (env: unknown) => {
  const r = parse(env);
  assert.equal(r.success, false, `${JSON.stringify(env)} should be refused`);
  return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
};

test('run_command takes env as variable → exactly one secret reference; git takes no env', () => {
  const ok = parse({ NPM_TOKEN: REF, Registry_Auth_2: '{{secret:REG}}', _x: REF });
  assert.ok(ok.success);
  assert.deepEqual(ok.data.env, { NPM_TOKEN: REF, Registry_Auth_2: '{{secret:REG}}', _x: REF });
  assert.ok(parse({}).success, 'an empty env is no env');
  assert.ok(toolInputSchemas.run_command.safeParse({ command: 'ls' }).success, 'env is optional');
  const sixteen = Object.fromEntries(Array.from({ length: MAX_ENV_ENTRIES }, (_, i) => [`V${i}`, REF]));
  assert.ok(parse(sixteen).success, `${MAX_ENV_ENTRIES} variables are allowed`);
  assert.equal(toolInputSchemas.git.safeParse({ args: ['push'], env: { NPM_TOKEN: REF } }).success, false, 'git has no env field');
  assert.equal(envSecretName(REF), 'NPM_TOKEN');
});

test('a value that is not exactly one reference is refused, naming the variable: a literal, two references, a reference with text around it', () => {
  for (const value of [
    '--require=/tmp/x.js',
    '{{secret:A}}{{secret:B}}',
    'Bearer {{secret:NPM_TOKEN}}',
    `${REF} `,
    `${REF}\n`,
    '{{secret:no-dash}}',
    '{{ secret:A }}',
    '',
  ])
    assert.match(problems({ TOKEN: value }), /^env.TOKEN: must be exactly one secret reference/, JSON.stringify(value));
  assert.match(problems({ TOKEN: 42 }), /^env.TOKEN: /);
  assert.match(problems('NPM_TOKEN={{secret:NPM_TOKEN}}'), /^env: /, 'a string is not a record');
});

test('bad names are refused: not a variable name, or one the runner sets or that changes what program or code runs', () => {
  for (const name of ['1TOKEN', 'MY-TOKEN', 'A B', 'A=B', '', 'X'.repeat(65), 'ÄTOKEN'])
    assert.match(problems({ [name]: REF }), /^env.*: not a variable name/, JSON.stringify(name));
  assert.ok(parse({ ['X'.repeat(64)]: REF }).success, '64 characters is the limit');
  const denied = [
    'PATH',
    'path',
    'HOME',
    'SHELL',
    'IFS',
    'ENV',
    'BASH_ENV',
    'LD_PRELOAD',
    'LD_LIBRARY_PATH',
    'DYLD_INSERT_LIBRARIES',
    'NODE_OPTIONS',
    'NODE_PATH',
    'PYTHONPATH',
    'PYTHONSTARTUP',
    'PYTEST_ADDOPTS',
    'PERL5OPT',
    'PERL5LIB',
    'RUBYOPT',
    'JAVA_TOOL_OPTIONS',
    '_JAVA_OPTIONS',
    'GIT_SSH_COMMAND',
    'GIT_CONFIG_COUNT',
    'npm_config_script_shell',
    'NPM_CONFIG_USERCONFIG',
    'LC_ALL',
    'TMPDIR',
    'GCONV_PATH',
    'MAKEFLAGS',
    'XDG_CONFIG_HOME',
  ];
  for (const name of denied) {
    assert.ok(deniedEnvName(name), name);
    assert.match(problems({ [name]: REF }), new RegExp(`^env\\.${name}: .*cannot be set$`), name);
  }
  for (const name of [
    'NPM_TOKEN',
    'GH_TOKEN',
    'GITHUB_TOKEN',
    'CODECOV_TOKEN',
    'API_KEY',
    'PATHS_TOKEN',
    'NODEJS_ORG_TOKEN',
    'HOMEBREW_TOKEN',
  ])
    assert.equal(deniedEnvName(name), undefined, `${name} is an ordinary name`);
  // One denied name among allowed ones refuses the whole call, naming only it.
  const mixed = parse({ NPM_TOKEN: REF, LD_PRELOAD: REF });
  assert.deepEqual(
    mixed.error?.issues.map((i) => i.path.join('.')),
    ['env.LD_PRELOAD'],
  );
});

test(`more than ${MAX_ENV_ENTRIES} variables are refused with the count`, () => {
  const many = Object.fromEntries(Array.from({ length: MAX_ENV_ENTRIES + 1 }, (_, i) => [`V${i}`, REF]));
  assert.equal(problems(many), `env: at most ${MAX_ENV_ENTRIES} variables, got ${MAX_ENV_ENTRIES + 1}`);
});

test('the model is told about env: its JSON schema has the name and value patterns, the limit and a description; the tool description names it', () => {
  const [runCommand, git] = toolsFor({ tools: ['run_command', 'git'] });
  const params = runCommand!.function.parameters as { properties: Record<string, Record<string, unknown>>; required: string[] };
  const env = params.properties.env!;
  assert.deepEqual(params.required, ['command']);
  assert.equal((env.propertyNames as { pattern: string }).pattern, '^[A-Za-z_][A-Za-z0-9_]{0,63}$');
  assert.equal((env.additionalProperties as { pattern: string }).pattern, '^\\{\\{secret:([A-Za-z_][A-Za-z0-9_]{0,63})\\}\\}$');
  assert.equal(env.maxProperties, MAX_ENV_ENTRIES);
  assert.match(env.description as string, /process list/);
  assert.match(runCommand!.function.description, /env/);
  assert.equal((git!.function.parameters as { properties: Record<string, unknown> }).properties.env, undefined);
});

// The refused names written out again, apart from the code's list: removing or mistyping one entry there
// must fail here (a test that walked the code's own list would walk the mutated one).
const REFUSED_NAMES = `PATH HOME TMPDIR LANG LANGUAGE TERM NO_COLOR CI PAGER MANPAGER SHELL IFS ENV CDPATH PS4 PROMPT_COMMAND
  SHELLOPTS GLOBIGNORE GCONV_PATH LOCPATH NLSPATH EDITOR VISUAL BROWSER LESSOPEN LESSCLOSE SSH_ASKPASS SUDO_ASKPASS CLASSPATH
  JAVA_TOOL_OPTIONS _JAVA_OPTIONS JDK_JAVA_OPTIONS JAVA_HOME NPM_EXECPATH NPM_NODE_EXECPATH MAKEFLAGS MFLAGS GNUMAKEFLAGS
  MAKEFILES MAKESHELL GOFLAGS GOROOT GOPATH GOTOOLCHAIN GOENV RUSTC RUSTC_WRAPPER RUSTFLAGS OPENSSL_CONF OPENSSL_ENGINES`.split(/\s+/);
const REFUSED_PREFIXES = `LC_ GIT_ NPM_CONFIG_ NPM_LIFECYCLE_ NPM_PACKAGE_ YARN_ COREPACK_ BASH_ LD_ DYLD_ NODE_ PYTHON PYTEST_ PERL
  RUBY GEM_ BUNDLE_ CGO_ CARGO_BUILD_ XDG_`.split(/\s+/);

test('every name the runner sets or that changes what code runs is refused, entry by entry, in either case; a prefix refuses every name it starts', () => {
  for (const name of REFUSED_NAMES)
    for (const variant of [name, name.toLowerCase()])
      assert.match(
        problems({ [variant]: REF }),
        new RegExp(`^env\\.${variant}: set by the runner or changes what program or code runs`),
        variant,
      );
  for (const prefix of REFUSED_PREFIXES)
    for (const variant of [`${prefix}X`, `${prefix}X`.toLowerCase()])
      assert.match(
        problems({ [variant]: REF }),
        new RegExp(`^env\\.${variant}: variables starting with ${prefix} are set by the runner`),
        variant,
      );
  // Names that only contain or end with a refused one are ordinary.
  for (const name of ['MY_PATH', 'XCI', 'SHELL_TOKEN', 'PRE_LD_TOKEN', 'A_NODE_TOKEN'])
    assert.ok(parse({ [name]: REF }).success, `${name} is an ordinary name`);
});

test('env that is not an object is refused as such, not as a bad variable name', () => {
  for (const env of ['NPM_TOKEN={{secret:NPM_TOKEN}}', ['NPM_TOKEN'], 42]) {
    const message = problems(env);
    assert.match(message, /^env: /, JSON.stringify(env));
    assert.doesNotMatch(message, /not a variable name/, JSON.stringify(env));
  }
});

test("env's description shows the model the form to use and what is refused", () => {
  const [runCommand] = toolsFor({ tools: ['run_command'] });
  const env = (runCommand!.function.parameters as { properties: Record<string, { description: string }> }).properties.env!;
  assert.ok(env.description.includes('{"NPM_TOKEN": "{{secret:NPM_TOKEN}}"}'), env.description);
  assert.match(env.description, /process list/);
  assert.match(env.description, /exactly one reference.*PATH, HOME, LD_\*/);
});
