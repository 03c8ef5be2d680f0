import { checkWorkspacePath } from '../paths.ts';
import { type Allowed, type Refusal, isRefusal, refuse } from '../refusal.ts';
import { checkOperands, checkWithSpec, firstBad, type OptionSpec, parseOptions } from './options.ts';

/**
 * npm, node and python: they run the repository's code (scripts, test files), so they are marked
 * `runsRepositoryCode`; what is refused is code from anywhere else — `node -e`, `python -c`, a program
 * read from stdin, `npm exec`/`npx` (any package's binary), and npm options that swap its shell or config.
 */
const NPM_GLOBAL: OptionSpec = {
  flags: 's',
  // A workspace is named or given as a folder, which stays in the workspace.
  short: { w: 'path' },
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
    '--workspace': 'path',
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

/**
 * The folders and tarballs npm install, pack and publish are given (`../x`, `file:/x`, `name@../x`,
 * `~/x`) stay in the workspace; a registry name or version (`lodash`, `@scope/pkg@^1`) is no path.
 */
function packagesOutside(specs: readonly string[]): Refusal | undefined {
  for (const spec of specs) {
    const file = spec.indexOf('file:');
    const at = spec.indexOf('@', 1);
    const path = file !== -1 ? spec.slice(file + 5) : at !== -1 ? spec.slice(at + 1) : spec;
    if (path.startsWith('~/')) return refuse('path_outside_workspace', `npm package ${spec} is in the home folder`);
    const bad = checkWorkspacePath(path, 'read');
    if (bad) return bad;
  }
  return undefined;
}

export function checkNpm(args: readonly string[]): Allowed | Refusal {
  const dashDash = args.indexOf('--');
  const before = dashDash === -1 ? args : args.slice(0, dashDash);
  // After `--` come a script's own arguments, or more packages for install, pack and publish.
  const after = dashDash === -1 ? [] : args.slice(dashDash + 1);
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
  if (NPM_INSTALL.has(sub)) return packagesOutside([...rest, ...after]) ?? { consequences: ['network'], runsRepositoryCode: true };
  if (NPM_NETWORK.has(sub)) return { consequences: ['network'], runsRepositoryCode: false };
  if (sub === 'pack') return packagesOutside([...rest, ...after]) ?? { consequences: [], runsRepositoryCode: true };
  if (sub === 'publish') return packagesOutside([...rest, ...after]) ?? { consequences: ['deploy', 'network'], runsRepositoryCode: true };
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
export function checkNode(args: readonly string[]): Allowed | Refusal {
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
      const value = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
      if (value === undefined) return refuse('invalid_arguments', `node ${name} needs a value`);
      // A reporter is a built-in name or a module node loads from a path.
      const bad = name === '--test-reporter' ? checkWorkspacePath(value, 'read') : undefined;
      if (bad) return bad;
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

/** pytest's options, also checked after `python -m pytest`. */
export const pytestSpec: OptionSpec = {
  ...{
    flags: 'qvxsl',
    // -p loads a plugin module by name; only its `no:NAME` form (disable a plugin) passes checkPytest.
    short: { k: 'value', m: 'value', n: 'value', r: 'value', W: 'value', p: 'value' },
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
  },
  runsRepositoryCode: true,
};

/**
 * pytest, bare or after `python -m`: the spec, plus `-p`, which may only disable a plugin
 * (`-p no:cacheprovider`); `-p NAME` would import any module on the path as a plugin.
 */
export function checkPytest(program: string, args: readonly string[]): Allowed | Refusal {
  const parsed = parseOptions(args, pytestSpec, program);
  if (isRefusal(parsed)) return parsed;
  for (const [name, value] of parsed.all) {
    if (name === '-p' && (typeof value !== 'string' || !/^no:[A-Za-z0-9_.-]+$/.test(value)))
      return refuse('flag_not_allowed', `${program} -p may only disable a plugin (-p no:NAME)`);
    // `--cov-report TYPE:DEST` writes the report to DEST; a bare TYPE, or `term-missing:skip-covered`, is a plain word that passes.
    const bad =
      name === '--cov-report' ? checkWorkspacePath((value as string).slice((value as string).indexOf(':') + 1), 'write') : undefined;
    if (bad) return bad;
  }
  return checkOperands(program, parsed, pytestSpec.operands) ?? { consequences: [], runsRepositoryCode: true };
}

/** The other modules `python -m` may run, with a small shared option list; operands are workspace paths or test names. */
const PYTHON_MODULES = new Set(['unittest', 'mypy', 'py_compile', 'compileall', 'doctest']);
const MODULE_OPTIONS: OptionSpec = {
  flags: 'vqbfc',
  short: { s: 'path', t: 'path', p: 'value', k: 'value' },
  long: { '--verbose': 'flag', '--quiet': 'flag', '--strict': 'flag', '--ignore-missing-imports': 'flag', '--no-error-summary': 'flag' },
  operands: 'paths',
  runsRepositoryCode: true,
};

export function checkPython(args: readonly string[]): Allowed | Refusal {
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) return { consequences: [], runsRepositoryCode: false };
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-B' || a === '-u' || a === '-q') continue;
    if (a === '-m') {
      const mod = args[i + 1];
      const rest = args.slice(i + 2);
      if (mod === 'pytest') return checkPytest('python -m pytest', rest);
      if (mod === undefined || !PYTHON_MODULES.has(mod)) return refuse('flag_not_allowed', `python -m ${mod ?? ''} is not allowed`);
      return checkWithSpec(`python -m ${mod}`, rest, MODULE_OPTIONS);
    }
    if (a.startsWith('-')) return refuse('flag_not_allowed', `python ${a} is not allowed`);
    break;
  }
  const script = args[i];
  if (script === undefined) return refuse('invalid_arguments', 'python without a script would run a program from stdin');
  return checkWorkspacePath(script, 'read') ?? { consequences: [], runsRepositoryCode: true };
}
