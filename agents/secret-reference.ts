/**
 * How a tool argument names a secret: `{{secret:NPM_TOKEN}}`. The model only ever sees and writes the
 * name; the value is put in by the executor. One definition for the command's text and for
 * run_command's `env`, whose values are one reference and nothing else.
 */
export const SECRET_REF_RE = /\{\{secret:([A-Za-z_][A-Za-z0-9_]{0,63})\}\}/g;
/** One secret reference and nothing else (no flags: safe to `exec` repeatedly). */
export const WHOLE_SECRET_REF_RE = new RegExp(`^${SECRET_REF_RE.source}$`);
