import { z } from 'zod';
import { WHOLE_SECRET_REF_RE } from './secret-reference.ts';

/**
 * `run_command`'s `env`: variables set for that one command, each to the value of one secret of the
 * run. This is how a secret reaches a command without being in its argv — argv is in the machine's
 * process list (/proc/<pid>/cmdline, readable by every local user), the environment only in
 * /proc/<pid>/environ (readable by the process's owner). The value is always exactly one
 * `{{secret:NAME}}`: a literal chosen by the model could put code or a program into a variable a
 * program obeys (NODE_OPTIONS=--require…, LD_PRELOAD, GIT_SSH_COMMAND) and so get past the command
 * guard, which checks only the argv.
 *
 * Even so the model chooses which secret goes into which variable, so some names are refused outright
 * (below). Pure data and checks, no I/O: the gate parses with `commandEnvSchema`, the executor reads
 * the references with `envSecretName`.
 */

export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
export const MAX_ENV_ENTRIES = 16;

/**
 * Names an agent may not set, compared in upper case (npm reads npm_config_* and NPM_CONFIG_* alike;
 * refusing `path` too costs nothing). Two reasons, and only these:
 * - the runner sets it itself (customer-plane/tools/exec/environment.ts: PATH, HOME, TMPDIR, locale,
 *   TERM, NO_COLOR, CI, PAGER, npm_config_*, GIT_*). The runner's own values win anyway; refusing says so
 *   instead of silently dropping the variable.
 * - it changes what program or code runs, or which files a program loads as code or configuration:
 *   the shell and loader (SHELL, IFS, ENV, BASH_*, LD_*, DYLD_*, GCONV_PATH), programs named by a
 *   variable (EDITOR, VISUAL, LESSOPEN, *_ASKPASS), the interpreters and toolchains the command guard
 *   knows (NODE_*, PYTHON*, PYTEST_* — PYTEST_ADDOPTS would add the `-p plugin` the guard refuses —
 *   PERL*, RUBY*, GEM_*, BUNDLE_*, JAVA options, npm/yarn/corepack configuration, make's MAKEFLAGS and
 *   MAKEFILES, Go's and Cargo's build wrappers), and where configuration is looked for (XDG_*,
 *   OPENSSL_CONF, which can load an engine).
 * A secret's value is set by the operator, not the model, so what this protects against is the model
 * routing a value into a variable that makes a program treat it as a path, a program or code.
 */
const DENIED_NAMES = new Set([
  'PATH',
  'HOME',
  'TMPDIR',
  'LANG',
  'LANGUAGE',
  'TERM',
  'NO_COLOR',
  'CI',
  'PAGER',
  'MANPAGER',
  'SHELL',
  'IFS',
  'ENV',
  'CDPATH',
  'PS4',
  'PROMPT_COMMAND',
  'SHELLOPTS',
  'GLOBIGNORE',
  'GCONV_PATH',
  'LOCPATH',
  'NLSPATH',
  'EDITOR',
  'VISUAL',
  'BROWSER',
  'LESSOPEN',
  'LESSCLOSE',
  'SSH_ASKPASS',
  'SUDO_ASKPASS',
  'CLASSPATH',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS',
  'JAVA_HOME',
  'NPM_EXECPATH',
  'NPM_NODE_EXECPATH',
  'MAKEFLAGS',
  'MFLAGS',
  'GNUMAKEFLAGS',
  'MAKEFILES',
  'MAKESHELL',
  'GOFLAGS',
  'GOROOT',
  'GOPATH',
  'GOTOOLCHAIN',
  'GOENV',
  'RUSTC',
  'RUSTC_WRAPPER',
  'RUSTFLAGS',
  'OPENSSL_CONF',
  'OPENSSL_ENGINES',
]);
const DENIED_PREFIXES = [
  'LC_',
  'GIT_',
  'NPM_CONFIG_',
  'NPM_LIFECYCLE_',
  'NPM_PACKAGE_',
  'YARN_',
  'COREPACK_',
  'BASH_',
  'LD_',
  'DYLD_',
  'NODE_',
  'PYTHON',
  'PYTEST_',
  'PERL',
  'RUBY',
  'GEM_',
  'BUNDLE_',
  'CGO_',
  'CARGO_BUILD_',
  'XDG_',
];

/** Why an agent may not set this variable (the schema puts the name before it), or undefined when it may. */
export function deniedEnvName(name: string): string | undefined {
  const upper = name.toUpperCase();
  if (DENIED_NAMES.has(upper)) return 'set by the runner or changes what program or code runs: it cannot be set';
  const prefix = DENIED_PREFIXES.find((p) => upper.startsWith(p));
  if (prefix) return `variables starting with ${prefix} are set by the runner or change what program or code runs: they cannot be set`;
  return undefined;
}

/** The secret an env value references (the schema admits only values of exactly this form). */
export function envSecretName(value: string): string | undefined {
  return WHOLE_SECRET_REF_RE.exec(value)?.[1];
}

export const commandEnvSchema = z
  .record(
    z.string().regex(ENV_NAME_RE),
    z.string().regex(WHOLE_SECRET_REF_RE, 'must be exactly one secret reference {{secret:NAME}}, with nothing before or after it'),
    {
      error: (iss) =>
        iss.code === 'invalid_key' ? 'not a variable name (letters, digits and _, not starting with a digit, at most 64)' : undefined,
    },
  )
  .superRefine((env, ctx) => {
    const names = Object.keys(env);
    if (names.length > MAX_ENV_ENTRIES)
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_ENV_ENTRIES} variables, got ${names.length}` });
    for (const name of names) {
      const denied = deniedEnvName(name);
      if (denied) ctx.addIssue({ code: 'custom', path: [name], message: denied });
    }
  })
  .meta({
    description:
      'Environment variables for this command only, each set to one secret: {"NPM_TOKEN": "{{secret:NPM_TOKEN}}"}. ' +
      'Use this rather than a reference in the command, where the value would be visible in the process list. ' +
      'Values other than exactly one reference, and variables such as PATH, HOME, LD_*, NODE_*, PYTHON*, GIT_*, npm_config_* are refused.',
    maxProperties: MAX_ENV_ENTRIES,
  });

export type CommandEnv = z.infer<typeof commandEnvSchema>;
