import { checkWorkspacePath } from '../paths.ts';
import { type Allowed, type Refusal, isRefusal, refuse } from '../refusal.ts';
import { checkWithSpec, firstBad, type OptionSpec, parseOptions } from './options.ts';

/**
 * Programs that run the repository's own code: test runners, build tools, `node script.js`. The guard
 * cannot see what that code does, so every one of them is marked `runsRepositoryCode` and runs in the
 * sandbox (or, where there is none, only with a person's approval). What the guard still refuses is
 * code that is not in the repository at all: `node -e`, `python -c`, `npm exec`, a program read from
 * stdin, `make VAR=…` overrides.
 */
const repoCode = (spec: OptionSpec): OptionSpec => ({ ...spec, runsRepositoryCode: true });

const NPM_GLOBAL: OptionSpec = {
  flags: 's',
  short: { w: 'value' },
  long: {
    '--silent': 'flag',
    '--if-present': 'flag',
    '--json': 'flag',
    '--no-audit': 'flag',
    '--no-fund': 'flag',
    '--prefer-offline': 'flag',
    '--offline': 'flag',
    '--ignore-scripts': 'flag',
    '--workspaces': 'flag',
    '--workspace': 'value',
    '--include-workspace-root': 'flag',
    '--loglevel': 'value',
    '--depth': 'value',
    '--all': 'flag',
    '--omit': 'value',
    '--dry-run': 'flag',
    '--save-dev': 'flag',
    '--save-exact': 'flag',
    '--foreground-scripts': 'flag',
  },
  operands: 'values',
};
const NPM_RUN = new Set(['test', 't', 'tst', 'start', 'run', 'run-script', 'rum', 'urn']);
const NPM_INSTALL = new Set(['ci', 'install', 'i', 'add']);
const NPM_NETWORK = new Set(['outdated', 'audit', 'view', 'info', 'show', 'search']);
const NPM_READ = new Set(['ls', 'list', 'll', 'la']);
const NPM_WRAPPERS = new Set(['exec', 'x', 'explore']);
const SCRIPT_NAME = /^[A-Za-z0-9:._-]+$/;

function checkNpm(args: readonly string[]): Allowed | Refusal {
  const dashDash = args.indexOf('--');
  const before = dashDash === -1 ? args : args.slice(0, dashDash);
  const parsed = parseOptions(before, NPM_GLOBAL, 'npm');
  if (isRefusal(parsed)) return parsed;
  const [sub, ...rest] = parsed.operands;
  if (sub === undefined) return refuse('invalid_arguments', 'npm needs a command');
  if (NPM_WRAPPERS.has(sub)) return refuse('shell_wrapper', `npm ${sub} runs arbitrary programs`);
  if (NPM_RUN.has(sub)) {
    if ((sub === 'run' || sub === 'run-script' || sub === 'rum' || sub === 'urn') && rest[0] !== undefined && !SCRIPT_NAME.test(rest[0])) {
      return refuse('invalid_arguments', `npm script name ${rest[0]}`);
    }
    return { consequences: [], runsRepositoryCode: true };
  }
  if (NPM_READ.has(sub))
    return rest.length === 0
      ? { consequences: [], runsRepositoryCode: false }
      : refuse('invalid_arguments', `npm ${sub} takes no packages here`);
  if (NPM_INSTALL.has(sub)) return firstBad(rest, 'read') ?? { consequences: ['network'], runsRepositoryCode: true };
  if (NPM_NETWORK.has(sub)) return { consequences: ['network'], runsRepositoryCode: false };
  if (sub === 'pack') return { consequences: [], runsRepositoryCode: true };
  if (sub === 'publish') return { consequences: ['deploy', 'network'], runsRepositoryCode: true };
  return refuse('subcommand_not_allowed', `npm ${sub} is not allowed`);
}

const NODE_FLAGS = new Set([
  '--test',
  '--test-only',
  '--experimental-test-coverage',
  '--enable-source-maps',
  '--no-warnings',
  '--experimental-strip-types',
  '--trace-warnings',
  '--trace-uncaught',
]);
const NODE_VALUES = new Set(['--test-reporter', '--test-name-pattern', '--test-concurrency', '--test-timeout', '--max-old-space-size']);

/** node [listed flags] SCRIPT [args…] | node --test [paths…] | node --version | node --check FILE */
function checkNode(args: readonly string[]): Allowed | Refusal {
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) return { consequences: [], runsRepositoryCode: false };
  let test = false;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-')) break;
    const name = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (a === '--check' || a === '-c') {
      const file = args[i + 1];
      if (file === undefined || i + 2 !== args.length) return refuse('invalid_arguments', 'node --check FILE');
      return checkWorkspacePath(file, 'read') ?? { consequences: [], runsRepositoryCode: false };
    }
    if (NODE_FLAGS.has(a)) {
      test ||= a === '--test';
      continue;
    }
    if (NODE_VALUES.has(name)) {
      if (!a.includes('=')) i++;
      continue;
    }
    return refuse('flag_not_allowed', `node ${name} is not allowed`);
  }
  const operands = args.slice(i);
  if (test) return firstBad(operands, 'read') ?? { consequences: [], runsRepositoryCode: true };
  const script = operands[0];
  if (script === undefined) return refuse('invalid_arguments', 'node without a script would run a program from stdin');
  return checkWorkspacePath(script, 'read') ?? { consequences: [], runsRepositoryCode: true };
}

const PYTHON_MODULES = new Set(['pytest', 'unittest', 'mypy', 'py_compile', 'compileall', 'doctest']);

function checkPython(args: readonly string[]): Allowed | Refusal {
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) return { consequences: [], runsRepositoryCode: false };
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-B' || a === '-u' || a === '-q') continue;
    if (a === '-m') {
      const mod = args[i + 1];
      if (mod === undefined || !PYTHON_MODULES.has(mod)) return refuse('flag_not_allowed', `python -m ${mod ?? ''} is not allowed`);
      return { consequences: [], runsRepositoryCode: true };
    }
    if (a.startsWith('-')) return refuse('flag_not_allowed', `python ${a} is not allowed`);
    break;
  }
  const script = args[i];
  if (script === undefined) return refuse('invalid_arguments', 'python without a script would run a program from stdin');
  return checkWorkspacePath(script, 'read') ?? { consequences: [], runsRepositoryCode: true };
}

function makeTargets(ops: string[]): Refusal | undefined {
  for (const t of ops) {
    if (t.includes('=')) return refuse('env_assignment', `make variable override ${t}`);
    if (!/^[A-Za-z0-9_./-]+$/.test(t)) return refuse('invalid_arguments', `make target ${t}`);
  }
  return undefined;
}

/** Go's flags are single-dash words (`-run`, `-count=1`). */
const GO_SUBS = new Set(['test', 'vet', 'build', 'run', 'list', 'fmt', 'version']);
const GO_FLAGS = new Set(['-v', '-race', '-cover', '-short', '-failfast', '-json', '-x', '-n']);
const GO_VALUES = new Set(['-run', '-count', '-timeout', '-bench', '-benchtime', '-tags', '-p', '-parallel', '-skip']);

function checkGo(args: readonly string[]): Allowed | Refusal {
  const [sub, ...rest] = args;
  if (sub === undefined || !GO_SUBS.has(sub)) return refuse('subcommand_not_allowed', `go ${sub ?? ''} is not allowed`);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--') return { consequences: [], runsRepositoryCode: true };
    if (!a.startsWith('-')) {
      const bad = checkWorkspacePath(a, 'read');
      if (bad) return bad;
      continue;
    }
    const name = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (GO_FLAGS.has(a)) continue;
    if (GO_VALUES.has(name) || name === '-o' || name === '-coverprofile') {
      const value = a.includes('=') ? a.slice(a.indexOf('=') + 1) : rest[++i];
      if (value === undefined) return refuse('invalid_arguments', `go ${name} needs a value`);
      if (name === '-o' || name === '-coverprofile') {
        const bad = checkWorkspacePath(value, 'write');
        if (bad) return bad;
      }
      continue;
    }
    return refuse('flag_not_allowed', `go ${name} is not allowed`);
  }
  return { consequences: [], runsRepositoryCode: sub !== 'version' && sub !== 'list' };
}

const CARGO_SUBS = new Set(['test', 'build', 'check', 'clippy', 'fmt', 'run', 'doc', 'bench']);
const CARGO: OptionSpec = {
  flags: 'qvp',
  short: { p: 'value', F: 'value', j: 'value' },
  long: {
    '--release': 'flag',
    '--all': 'flag',
    '--workspace': 'flag',
    '--all-features': 'flag',
    '--no-default-features': 'flag',
    '--features': 'value',
    '--package': 'value',
    '--lib': 'flag',
    '--bins': 'flag',
    '--tests': 'flag',
    '--all-targets': 'flag',
    '--quiet': 'flag',
    '--verbose': 'flag',
    '--offline': 'flag',
    '--locked': 'flag',
    '--frozen': 'flag',
    '--check': 'flag',
    '--message-format': 'value',
    '--no-fail-fast': 'flag',
    '--jobs': 'value',
  },
  operands: 'values',
};

function checkCargo(args: readonly string[]): Allowed | Refusal {
  const [sub, ...rest] = args;
  if (sub === undefined || !CARGO_SUBS.has(sub)) return refuse('subcommand_not_allowed', `cargo ${sub ?? ''} is not allowed`);
  const dashDash = rest.indexOf('--');
  const parsed = parseOptions(dashDash === -1 ? rest : rest.slice(0, dashDash), CARGO, `cargo ${sub}`);
  if (isRefusal(parsed)) return parsed;
  if (parsed.operands.length > 0 && sub !== 'test' && sub !== 'bench')
    return refuse('invalid_arguments', `cargo ${sub} takes no operands here`);
  return { consequences: [], runsRepositoryCode: true };
}

export const toolchainSpecs: Record<string, OptionSpec> = {
  pytest: repoCode({
    flags: 'qvxslS',
    short: { k: 'value', m: 'value', n: 'value', r: 'value', W: 'value' },
    long: {
      '--tb': 'value',
      '--maxfail': 'value',
      '--lf': 'flag',
      '--ff': 'flag',
      '--last-failed': 'flag',
      '--failed-first': 'flag',
      '--collect-only': 'flag',
      '--co': 'flag',
      '--no-header': 'flag',
      '--durations': 'value',
      '--disable-warnings': 'flag',
      '--strict-markers': 'flag',
      '--verbose': 'flag',
      '--quiet': 'flag',
      '--exitfirst': 'flag',
      '--deselect': 'value',
      '--ignore': 'path',
      '--junitxml': 'output',
      '--cov': 'optional',
      '--cov-report': 'value',
    },
    operands: 'paths',
  }),
  make: repoCode({
    flags: 'knsBiqw',
    short: { j: 'optional', C: 'path', f: 'path' },
    long: {
      '--keep-going': 'flag',
      '--dry-run': 'flag',
      '--silent': 'flag',
      '--jobs': 'optional',
      '--always-make': 'flag',
      '--directory': 'path',
      '--file': 'path',
      '--question': 'flag',
    },
    operands: makeTargets,
  }),
  tsc: repoCode({
    flags: 'bv',
    short: { p: 'path' },
    long: {
      '--noEmit': 'flag',
      '--project': 'path',
      '--pretty': 'flag',
      '--build': 'flag',
      '--strict': 'flag',
      '--skipLibCheck': 'flag',
      '--listFiles': 'flag',
      '--showConfig': 'flag',
      '--incremental': 'flag',
      '--noEmitOnError': 'flag',
      '--target': 'value',
      '--module': 'value',
      '--moduleResolution': 'value',
      '--jsx': 'value',
      '--lib': 'value',
      '--outDir': 'output',
      '--declaration': 'flag',
      '--emitDeclarationOnly': 'flag',
      '--sourceMap': 'flag',
      '--extendedDiagnostics': 'flag',
      '--version': 'flag',
    },
    operands: 'paths',
  }),
  eslint: repoCode({
    short: { c: 'path', f: 'value', o: 'output' },
    long: {
      '--fix': 'flag',
      '--fix-dry-run': 'flag',
      '--ext': 'value',
      '--format': 'value',
      '--max-warnings': 'value',
      '--quiet': 'flag',
      '--cache': 'flag',
      '--no-eslintrc': 'flag',
      '--config': 'path',
      '--ignore-path': 'path',
      '--ignore-pattern': 'value',
      '--no-ignore': 'flag',
      '--report-unused-disable-directives': 'flag',
      '--color': 'flag',
      '--no-color': 'flag',
      '--output-file': 'output',
    },
    operands: 'paths',
  }),
  prettier: repoCode({
    flags: 'cwl',
    long: {
      '--check': 'flag',
      '--write': 'flag',
      '--list-different': 'flag',
      '--config': 'path',
      '--ignore-path': 'path',
      '--log-level': 'value',
    },
    operands: 'paths',
  }),
  jest: repoCode({
    flags: 'iub',
    short: { t: 'value' },
    long: {
      '--ci': 'flag',
      '--coverage': 'flag',
      '--runInBand': 'flag',
      '--silent': 'flag',
      '--passWithNoTests': 'flag',
      '--testNamePattern': 'value',
      '--testPathPattern': 'value',
      '--verbose': 'flag',
      '--bail': 'optional',
      '--watchAll': 'optional',
      '--maxWorkers': 'value',
      '--json': 'flag',
      '--detectOpenHandles': 'flag',
      '--forceExit': 'flag',
      '--updateSnapshot': 'flag',
    },
    operands: 'values',
  }),
  vitest: repoCode({
    short: { t: 'value' },
    long: {
      '--run': 'flag',
      '--reporter': 'value',
      '--coverage': 'flag',
      '--silent': 'flag',
      '--passWithNoTests': 'flag',
      '--bail': 'value',
      '--testNamePattern': 'value',
    },
    operands: 'values',
  }),
  mocha: repoCode({
    flags: 'b',
    short: { R: 'value', g: 'value', t: 'value' },
    long: {
      '--reporter': 'value',
      '--grep': 'value',
      '--recursive': 'flag',
      '--timeout': 'value',
      '--bail': 'flag',
      '--exit': 'flag',
      '--spec': 'path',
    },
    operands: 'paths',
  }),
};

export const toolchainRules: Record<string, (args: readonly string[]) => Allowed | Refusal> = {
  npm: checkNpm,
  node: checkNode,
  python: checkPython,
  python3: checkPython,
  go: checkGo,
  cargo: checkCargo,
};

export function checkToolchain(program: string, args: readonly string[]): Allowed | Refusal | undefined {
  const rule = toolchainRules[program];
  if (rule) return rule(args);
  const spec = toolchainSpecs[program];
  return spec ? checkWithSpec(program, args, spec) : undefined;
}
