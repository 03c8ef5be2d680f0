import { SecretNameError } from './errors.ts';

const MARKER = /\[masked:([^\]\s]{1,200})\]/g;

/**
 * A masked text of this run (a workspace diff it recorded) with each `[masked:NAME]` of a secret the
 * run may reference put back as that secret's value, read from the store now (`resolve`: the run's
 * scope and inputs only). A name the run cannot reference — the plane's own secrets, which no step can
 * have written — stays masked. The result is used only to rebuild the run's workspace, where the
 * caller checks it against the tree the step recorded: a value rotated since, or a secret written in
 * an encoded form, does not match. A store that cannot be read throws (retryable).
 */
export async function unmaskReferences(text: string, resolve: (name: string) => Promise<string>): Promise<string> {
  const values = new Map<string, string | undefined>();
  for (const [, name] of text.matchAll(MARKER)) {
    if (values.has(name)) continue;
    values.set(
      name,
      await resolve(name).catch((err) => {
        if (err instanceof SecretNameError) return undefined;
        throw err;
      }),
    );
  }
  return text.replace(MARKER, (whole, name: string) => values.get(name) ?? whole);
}
