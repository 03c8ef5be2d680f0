import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { AgentName, ErrorCode, TemplateName } from '../../shared/boundary.ts';
import { ConfigError } from '../../shared/errors.ts';
import type { AgentDefinition, WorkflowTemplate } from '../../agents/types.ts';
import { DEFAULT_ENVIRONMENTS } from './defaults.ts';
import { describeIssues, type Environment, environmentsFileSchema } from './schema.ts';
import { templateHash } from './template-hash.ts';

export type { Environment } from './schema.ts';

export type Environments = {
  /** Where the definitions came from: the file's path, or `defaults`. */
  source: string;
  names(): string[];
  getEnvironment(name: string): Environment | undefined;
};

/**
 * The customer plane's environments: the built-in defaults (sandbox, preview, production), or the
 * operator's ENVIRONMENTS_FILE (JSON or YAML: `{environments: {<name>: {...}}}`), which replaces them
 * whole. A file that cannot be read or parsed, or that breaks any rule, is refused with one
 * ConfigError naming every problem — the plane does not start on it.
 */
export async function loadEnvironments(opts: { file?: string } = {}): Promise<Environments> {
  if (!opts.file) return fromList(DEFAULT_ENVIRONMENTS, 'defaults');
  let text: string;
  try {
    text = await readFile(opts.file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError('customer-plane', [`ENVIRONMENTS_FILE ${opts.file} cannot be read (${code})`]);
  }
  return parseEnvironments(text, opts.file);
}

/** Parses and checks an environments file's text; `source` names it in messages. */
export function parseEnvironments(text: string, source: string): Environments {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    const detail = err instanceof YAMLParseError ? err.code : 'unparseable';
    throw new ConfigError('customer-plane', [`ENVIRONMENTS_FILE ${source} is not valid JSON or YAML (${detail})`]);
  }
  const parsed = environmentsFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      'customer-plane',
      describeIssues(parsed.error).map((p) => `ENVIRONMENTS_FILE ${source}: ${p}`),
    );
  }
  return fromList(
    Object.entries(parsed.data.environments).map(([name, e]) => ({ name, ...e })),
    source,
  );
}

function fromList(list: readonly Environment[], source: string): Environments {
  const byName = new Map(list.map((e) => [e.name, Object.freeze({ ...e })]));
  return {
    source,
    names: () => [...byName.keys()],
    getEnvironment: (name) => byName.get(name),
  };
}

export type Admission =
  | { ok: true; environment: Environment }
  | { ok: false; code: Extract<ErrorCode, 'unknown_environment' | 'template_not_allowed' | 'template_not_reviewed'>; message: string };

/**
 * Whether a run of `template` may start in the environment named `name`: the environment exists, it
 * allows the template, and — where the environment runs only reviewed templates — the template's
 * current content hash is the one pinned for it.
 */
export function admitRun(
  environments: Environments,
  name: string,
  template: WorkflowTemplate,
  catalog: Partial<Record<AgentName, AgentDefinition>>,
): Admission {
  const environment = environments.getEnvironment(name);
  if (!environment) return { ok: false, code: 'unknown_environment', message: 'this customer plane has no environment of that name' };
  if (!environment.templates.includes(template.name))
    return { ok: false, code: 'template_not_allowed', message: `the ${name} environment does not allow this template` };
  if (environment.reviewed) {
    const pinned = environment.reviewed[template.name];
    if (!pinned) return { ok: false, code: 'template_not_reviewed', message: `the template is not pinned as reviewed for ${name}` };
    if (pinned !== templateHash(template, catalog))
      return {
        ok: false,
        code: 'template_not_reviewed',
        message: `the template (or an agent it runs) changed since it was reviewed for ${name}; review it and pin its new hash`,
      };
  }
  return { ok: true, environment };
}

/** Pinned reviews that no longer match their template's content: said once at start, so an operator is not surprised at run time. */
export function stalePins(
  environments: Environments,
  templates: Partial<Record<TemplateName, WorkflowTemplate>>,
  catalog: Partial<Record<AgentName, AgentDefinition>>,
): Array<{ environment: string; template: TemplateName }> {
  const out: Array<{ environment: string; template: TemplateName }> = [];
  for (const name of environments.names()) {
    const env = environments.getEnvironment(name)!;
    for (const [t, pinned] of Object.entries(env.reviewed ?? {}) as Array<[TemplateName, string]>) {
      const def = templates[t];
      if (!def || templateHash(def, catalog) !== pinned) out.push({ environment: name, template: t });
    }
  }
  return out;
}
