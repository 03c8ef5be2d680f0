import { SecretNameError } from './errors.ts';
import type { SecretBackend } from './store.ts';

/**
 * Secrets that runs use by reference (`{{secret:NAME}}`), looked up in a scope: the secret-store name
 * prefix of the run's environment (`sandbox/`, `production/`, …). A name is one level under its
 * prefix (`<prefix><NAME>`, NAME without `/`), so a run in one environment can neither name nor list
 * another environment's secrets, whatever the two prefixes look like. Every call reads the backend
 * again: values are read at the point of use and nothing here keeps them.
 */
export type SecretScope = { readonly prefix: string };

/** The scope a run gets until the environments module supplies one per environment. */
export const DEFAULT_SECRET_SCOPE: SecretScope = Object.freeze({ prefix: 'sandbox/' });

/** A secret's name as a tool argument may carry it (the same syntax as SECRET_REF_RE in agents/secret-reference.ts). */
export const SECRET_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** One or more path segments, each ending in `/`: `sandbox/`, `team-a/production/`. */
export const SCOPE_PREFIX_RE = /^(?:[a-z0-9][a-z0-9_.-]{0,62}\/){1,4}$/;
/** Where a run's secret inputs are kept (by inputs id); never an environment's scope. */
export const RUN_INPUTS_PREFIX = 'run-inputs/';
/** Values shorter than this cannot be masked without masking ordinary text; they are refused when stored. */
export const MIN_SECRET_LENGTH = 8;
/** The largest value AWS Secrets Manager stores (64 KiB). */
export const MAX_SECRET_BYTES = 65_536;

export type SecretsProvider = {
  /** The value, read from the store now; undefined when the scope has no such secret. */
  get(scope: SecretScope, name: string): Promise<string | undefined>;
  has(scope: SecretScope, name: string): Promise<boolean>;
  /** Names in the scope (never values). */
  names(scope: SecretScope): Promise<string[]>;
  put(scope: SecretScope, name: string, value: string): Promise<void>;
  delete(scope: SecretScope, name: string): Promise<void>;
};

export function checkScope(scope: SecretScope): void {
  if (!SCOPE_PREFIX_RE.test(scope.prefix) || scope.prefix.startsWith(RUN_INPUTS_PREFIX))
    throw new SecretNameError(
      'secret_scope_invalid',
      'a secret scope prefix is one to four lowercase segments each ending in "/", e.g. "sandbox/" (run-inputs/ is reserved)',
    );
}

export function checkSecretName(name: string): void {
  if (!SECRET_NAME_RE.test(name))
    throw new SecretNameError('secret_name_invalid', 'a secret name is a letter or _ followed by up to 63 letters, digits or _');
}

/** Why a value cannot be stored as a secret, or undefined when it can. */
export function secretValueProblem(value: string): string | undefined {
  if (value.length < MIN_SECRET_LENGTH)
    return `a secret value must be at least ${MIN_SECRET_LENGTH} characters long: a shorter one cannot be masked in outputs without masking ordinary text`;
  if (Buffer.byteLength(value) > MAX_SECRET_BYTES) return `a secret value may be at most ${MAX_SECRET_BYTES} bytes`;
  if (value.includes('\u0000')) return 'a secret value cannot contain a NUL character (no program argument can)';
  return undefined;
}

export function createSecretsProvider(backend: SecretBackend): SecretsProvider {
  const id = (scope: SecretScope, name: string) => {
    checkScope(scope);
    checkSecretName(name);
    return `${scope.prefix}${name}`;
  };
  return {
    async get(scope, name) {
      return backend.get(id(scope, name));
    },
    async has(scope, name) {
      return (await backend.get(id(scope, name))) !== undefined;
    },
    async names(scope) {
      checkScope(scope);
      const ids = await backend.list(scope.prefix);
      return ids
        .map((i) => i.slice(scope.prefix.length))
        .filter((n) => SECRET_NAME_RE.test(n))
        .sort();
    },
    async put(scope, name, value) {
      const key = id(scope, name);
      const problem = secretValueProblem(value);
      if (problem) throw new SecretNameError('secret_value_invalid', problem);
      await backend.put(key, value);
    },
    async delete(scope, name) {
      await backend.delete(id(scope, name));
    },
  };
}
