import type { Masker } from './masker.ts';

/**
 * The process-wide side of masking: the maskers of the runs in progress, so that a log line written
 * anywhere in the process (a step's failure, a tool's error with its cause chain) has their secrets
 * masked before it is written. A run's masker is tracked from its start to its end, then dropped.
 */
export type SecretMasking = {
  /** Masks this masker's secrets in log lines too, until the returned function is called. */
  track(masker: Masker): () => void;
  /** The text with the secrets of every tracked masker masked. */
  mask(text: string): string;
  /** A JSON log line with the secrets masked; the line stays valid JSON. */
  maskJsonLine(line: string): string;
};

export function createSecretMasking(): SecretMasking {
  const active = new Set<Masker>();
  const mask = (text: string) => {
    let out = text;
    for (const m of active) out = m.mask(out);
    return out;
  };
  return {
    track(masker) {
      active.add(masker);
      return () => active.delete(masker);
    },
    mask,
    maskJsonLine(line) {
      if (active.size === 0) return line;
      const masked = mask(line);
      if (masked === line) return line;
      try {
        JSON.parse(masked);
        return masked;
      } catch {
        // A raw form that ends in `\` can cut a JSON escape in half: mask the parsed line instead.
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          return masked;
        }
        for (const m of active) value = m.maskDeep(value);
        return `${JSON.stringify(value)}\n`;
      }
    },
  };
}
