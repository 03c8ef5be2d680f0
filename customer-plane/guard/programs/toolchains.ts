import { checkWorkspacePath } from '../paths.ts';
import { type Allowed, type Refusal, isRefusal, refuse } from '../refusal.ts';
import { checkNode, checkNpm, checkPytest, checkPython } from './interpreters.ts';
import { checkRuff, flake8Spec } from './linters.ts';
import { checkWithSpec, type OptionSpec, parseOptions } from './options.ts';

/**
 * Programs that run the repository's own code: test runners, build tools, `node script.js`. The guard
 * cannot see what that code does, so every one of them is marked `runsRepositoryCode` and runs in the
 * sandbox (or, where there is none, only with a person's approval). What the guard still refuses is
 * code that is not in the repository at all: `node -e`, `python -c`, `npm exec`, a program read from
 * stdin, `make VAR=…` overrides.
 */
const repoCode = (spec: OptionSpec): OptionSpec => ({ ...spec, runsRepositoryCode: true });

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
  let afterPackage = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    // After a package, `--` starts the program's own arguments; before one it would skip the package's check.
    if (a === '--')
      return afterPackage ? { consequences: [], runsRepositoryCode: true } : refuse('invalid_arguments', `go ${sub} -- before a package`);
    if (!a.startsWith('-')) {
      // `go run tool@latest` downloads and runs a program from outside the repository, as npx would.
      if (a.includes('@')) return refuse('shell_wrapper', `go ${sub} ${a} runs a program from outside the repository`);
      const bad = checkWorkspacePath(a, 'read');
      if (bad) return bad;
      afterPackage = true;
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
  flags: 'qv',
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
  flake8: flake8Spec,
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
    // A formatter (-f) is a built-in name or a module eslint loads from a path: a path stays in the workspace.
    short: { c: 'path', f: 'path', o: 'output' },
    long: {
      '--fix': 'flag',
      '--fix-dry-run': 'flag',
      '--ext': 'value',
      '--format': 'path',
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
      // Like mocha's, a reporter is a name or a module loaded from a path.
      '--reporter': 'path',
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
    short: { R: 'path', g: 'value', t: 'value' },
    long: {
      '--reporter': 'path',
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
  pytest: (args) => checkPytest('pytest', args),
  ruff: checkRuff,
};

export function checkToolchain(program: string, args: readonly string[]): Allowed | Refusal | undefined {
  const rule = toolchainRules[program];
  if (rule) return rule(args);
  const spec = toolchainSpecs[program];
  return spec ? checkWithSpec(program, args, spec) : undefined;
}
