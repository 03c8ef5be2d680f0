import type pg from 'pg';
import { type Db, inTransaction } from '../../shared/db/pool.ts';
import { AgentplaneError } from '../../shared/errors.ts';

/** A forget request that names nothing to forget, or names a repository badly. */
export class ForgetRequestError extends AgentplaneError {
  constructor(message: string) {
    super('invalid_forget_request', message);
  }
}

/** Every table of the memory schema that holds repository-derived data, by its `repo` column. */
const REPO_TABLES = ['working', 'episodes', 'semantic_files', 'semantic_turns', 'procedures', 'standing_events'] as const;
/** …and the meta-cognitive counts, which hold none (agent, environment, numbers) and go only with --all. */
const ALL_TABLES = [...REPO_TABLES, 'standing'] as const;

export type ForgetRequest = { repo?: string; all?: boolean };
export type Forgotten = Record<(typeof ALL_TABLES)[number], number>;

/**
 * Deletes memory on the customer's request, in one transaction: everything derived from one repository
 * (`repo`), or everything the memory holds (`all`). What was deleted is counted per table. A run of that
 * repository still in progress writes its own working memory and outcome again when it ends.
 */
export async function forget(db: Db, req: ForgetRequest): Promise<Forgotten> {
  if (req.all && req.repo !== undefined) throw new ForgetRequestError('give either a repository or --all, not both');
  if (!req.all && (req.repo === undefined || req.repo === ''))
    throw new ForgetRequestError('name a repository (--repo alias) or give --all');
  return inTransaction(db, async (c) => {
    const out = Object.fromEntries(ALL_TABLES.map((t) => [t, 0])) as Forgotten;
    for (const table of req.all ? ALL_TABLES : REPO_TABLES) {
      // Table names come from the constant lists above, never from input.
      const r = req.all
        ? await c.query(`DELETE FROM memory.${table}`)
        : await c.query(`DELETE FROM memory.${table} WHERE repo = $1`, [req.repo]);
      out[table] = r.rowCount ?? 0;
    }
    return out;
  });
}

/** Everything memory holds, deleted on the caller's connection (inside its transaction): the tenant-data erase. */
export async function forgetAll(c: pg.PoolClient): Promise<Forgotten> {
  const out = Object.fromEntries(ALL_TABLES.map((t) => [t, 0])) as Forgotten;
  for (const table of ALL_TABLES) out[table] = (await c.query(`DELETE FROM memory.${table}`)).rowCount ?? 0;
  return out;
}
