import { z } from 'zod';
import { TEMPLATES, type TemplateName } from '../../shared/boundary.ts';
import { EVEN_WITH_OTHER_PROBLEMS } from '../../shared/config.ts';
import { environmentName } from '../../shared/dispatch.ts';

/**
 * A customer plane's named environments, as the operator writes them (ENVIRONMENTS_FILE, JSON or
 * YAML) and as the runner, the gate and the secrets provider read them. The shape is a contract:
 * the secrets provider reads `secrets.prefix`, the approvals broker reads `approval`.
 */
export type Environment = {
  name: string;
  /** The secret-store name prefix a run in this environment may read (`sandbox/`, `production/`). */
  secrets: { prefix: string };
  /** Templates a run in this environment may use. */
  templates: readonly TemplateName[];
  /** How long a pending approval waits for a person, and how long before that a warning is logged. */
  approval: { deadlineSeconds: number; warnBeforeSeconds: number };
  /** `ask`: a person approves every action beyond reading (writes, commands, git). */
  writes: 'allow' | 'ask';
  /**
   * The autonomy level (customer-plane/memory) from which an agent acts here without asking:
   * `assisted` (every agent that is not in observe), or `autonomous` (only agents that earned it).
   */
  actAloneFrom: 'assisted' | 'autonomous';
  /**
   * Present: only these templates run here, and only while their content hash (templateHash) still
   * matches the pinned one. Required for `production`.
   */
  reviewed?: Readonly<Partial<Record<TemplateName, string>>>;
};

/** A secret-name prefix: a path-like token ending in `/`, so one environment's names never run into another's. */
export const SECRET_PREFIX_RE = /^(?=.{2,64}$)(?:[A-Za-z0-9][A-Za-z0-9_.-]*\/)+$/;
const SHA256_RE = /^[0-9a-f]{64}$/;
export const MAX_DEADLINE_SECONDS = 7 * 24 * 3600;

const environmentSchema = z.strictObject({
  secrets: z.strictObject({
    prefix: z
      .string()
      .regex(
        SECRET_PREFIX_RE,
        'a secret-name prefix: path segments of letters, digits and `_.-`, ending in `/` (e.g. `production/`), at most 64',
      ),
  }),
  templates: z.array(z.enum(TEMPLATES)).min(1, 'list at least one template'),
  approval: z.strictObject({
    deadlineSeconds: z.int().min(1).max(MAX_DEADLINE_SECONDS, 'at most 7 days'),
    warnBeforeSeconds: z.int().min(0),
  }),
  writes: z.enum(['allow', 'ask']),
  // `autonomous`: only agents that earned autonomy (memory) act unasked here; the shipped `preview` says so.
  actAloneFrom: z.enum(['assisted', 'autonomous']).default('assisted'),
  reviewed: z
    .partialRecord(z.enum(TEMPLATES), z.string().regex(SHA256_RE, 'a sha256 hex digest (npm run environments -- hashes)'))
    .optional(),
});

export const environmentsFileSchema = z
  .strictObject({ environments: z.record(environmentName(), environmentSchema) })
  // Run even when fields already failed, so one message names every problem; the value may then be
  // only partly valid, so every rule checks the types it reads.
  .superRefine((file, ctx) => crossFieldProblems(file, ctx), EVEN_WITH_OTHER_PROBLEMS);

type Loose = Record<string, unknown>;
const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);

function crossFieldProblems(file: unknown, ctx: z.RefinementCtx): void {
  const envs = isObject(file) && isObject(file.environments) ? file.environments : undefined;
  if (!envs) return;
  if (Object.keys(envs).length === 0) ctx.addIssue({ code: 'custom', path: ['environments'], message: 'define at least one environment' });
  const prefixes: Array<[string, string]> = [];
  for (const [name, env] of Object.entries(envs)) {
    if (!isObject(env)) continue;
    const at = (...p: string[]) => ['environments', name, ...p];
    const approval = isObject(env.approval) ? env.approval : {};
    if (typeof approval.warnBeforeSeconds === 'number' && typeof approval.deadlineSeconds === 'number')
      if (approval.warnBeforeSeconds >= approval.deadlineSeconds)
        ctx.addIssue({ code: 'custom', path: at('approval', 'warnBeforeSeconds'), message: 'must be less than deadlineSeconds' });
    const templates = Array.isArray(env.templates) ? env.templates.filter((t) => typeof t === 'string') : [];
    const seen = new Set<string>();
    for (const t of templates) {
      if (seen.has(t)) ctx.addIssue({ code: 'custom', path: at('templates'), message: `${t} is listed twice` });
      seen.add(t);
    }
    for (const t of Object.keys(isObject(env.reviewed) ? env.reviewed : {}))
      if (!seen.has(t)) ctx.addIssue({ code: 'custom', path: at('reviewed', t), message: 'a reviewed template must also be in templates' });
    // Production's guarantees are not left to a configuration mistake.
    if (name === 'production') {
      if (env.writes !== 'ask') ctx.addIssue({ code: 'custom', path: at('writes'), message: 'production must ask before every write' });
      if (!isObject(env.reviewed))
        ctx.addIssue({ code: 'custom', path: at('reviewed'), message: 'production runs only reviewed templates: pin them here' });
    }
    const prefix = isObject(env.secrets) && typeof env.secrets.prefix === 'string' ? env.secrets.prefix : undefined;
    if (prefix === undefined) continue;
    for (const [other, theirs] of prefixes) {
      if (theirs.startsWith(prefix) || prefix.startsWith(theirs))
        ctx.addIssue({
          code: 'custom',
          path: at('secrets', 'prefix'),
          message: `overlaps ${other}'s prefix: each environment needs its own secret scope`,
        });
    }
    prefixes.push([name, prefix]);
  }
}

/** One line per problem: where in the file, and what is wrong. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    if (i.code === 'unrecognized_keys') return `unknown field(s) ${i.keys.join(', ')}${path ? ` in ${path}` : ''}`;
    if (i.code === 'invalid_key')
      return `${path || 'environments'}: environment name ${JSON.stringify(String(i.path.at(-1) ?? ''))} ${keyMessage(i)}`;
    return `${path || '(file)'}: ${i.message}`;
  });
}

function keyMessage(i: z.core.$ZodIssue): string {
  const inner = (i as { issues?: Array<{ message: string }> }).issues?.[0]?.message;
  return inner ? `is not valid (${inner})` : 'is not valid';
}
