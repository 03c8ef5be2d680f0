import { SecretNameError } from './errors.ts';
import { createMasker, type Masker } from './masker.ts';
import type { SecretMasking } from './masking.ts';
import { MIN_SECRET_LENGTH, type SecretScope, type SecretsProvider } from './provider.ts';

/** A run's secret inputs (given locally for this run only): names, and their values read at use. */
export type SecretInputs = { names: readonly string[]; read(name: string): Promise<string | undefined> };

/**
 * The secrets of one run: what its tools may reference and what is masked in everything it produces.
 * A reference is checked (`has`) and its value read (`resolve`) from the store each time it is used;
 * the masker holds the values of the run's scope, its secret inputs and the plane's own secrets from
 * the run's start to its end (`dispose`), because masking a value needs the value.
 */
export type RunSecrets = {
  readonly scope: SecretScope;
  readonly masker: Masker;
  /** Names the run may reference: its scope's, and its secret inputs' (which shadow a scope secret of the same name). */
  names(): string[];
  has(name: string): Promise<boolean>;
  /** The value, read now; it is added to the masker (a value rotated since the run started is masked too). */
  resolve(name: string): Promise<string>;
  dispose(): void;
};

/** A reference that cannot be used: unknown in this run's scope, or too short to be masked. */
export class SecretReferenceError extends SecretNameError {}

export async function openRunSecrets(deps: {
  provider: SecretsProvider;
  scope: SecretScope;
  inputs?: SecretInputs;
  /** The plane's own secrets (LLM keys, tokens, passwords), masked too: [name, value] pairs read now. */
  own?: () => Promise<Array<[string, string]>>;
  masking?: SecretMasking;
}): Promise<RunSecrets> {
  const masker = createMasker();
  const inputNames = new Set(deps.inputs?.names ?? []);
  const scopeNames = await deps.provider.names(deps.scope);
  for (const name of scopeNames) {
    const v = await deps.provider.get(deps.scope, name);
    if (v !== undefined) masker.add(name, v);
  }
  for (const name of inputNames) {
    const v = await deps.inputs!.read(name);
    if (v !== undefined) masker.add(name, v);
  }
  for (const [name, v] of (await deps.own?.()) ?? []) masker.add(name, v);
  const untrack = deps.masking?.track(masker);

  const read = (name: string) => (inputNames.has(name) ? deps.inputs!.read(name) : deps.provider.get(deps.scope, name));
  return {
    scope: deps.scope,
    masker,
    names: () => [...new Set([...scopeNames, ...inputNames])].sort(),
    async has(name) {
      return (await read(name)) !== undefined;
    },
    async resolve(name) {
      const value = await read(name);
      if (value === undefined)
        throw new SecretReferenceError('secret_unknown', `the secret ${name} does not exist in this run's scope (${deps.scope.prefix})`);
      masker.add(name, value);
      if (value.includes('\u0000'))
        throw new SecretReferenceError('secret_value_unsafe', `the secret ${name} contains a NUL character and cannot be an argument`);
      if (value.length < MIN_SECRET_LENGTH)
        throw new SecretReferenceError(
          'secret_too_short',
          `the secret ${name} is shorter than ${MIN_SECRET_LENGTH} characters: it cannot be masked reliably, so it is not used`,
        );
      return value;
    },
    dispose() {
      untrack?.();
      masker.clear();
    },
  };
}
