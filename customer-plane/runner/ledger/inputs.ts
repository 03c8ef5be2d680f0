import type { Db } from '../../../shared/db/pool.ts';
import { AgentplaneError } from '../../../shared/errors.ts';
import { newUlid } from '../../../shared/ids.ts';
import { checkSecretName, RUN_INPUTS_PREFIX, secretValueProblem } from '../../secrets/provider.ts';
import type { SecretInputs } from '../../secrets/run-secrets.ts';
import type { SecretBackend } from '../../secrets/store.ts';
import { jsonb } from './pg-safe.ts';

/**
 * Inputs given to a run locally — plain parameters and secrets — kept in the customer plane: the
 * parameters in the ledger's database, the secret values in the secret store under
 * `run-inputs/<id>/`. The control plane's dispatch carries only the id. Inputs are single-use (the
 * first run that names them claims them), may be tied to one template, expire unused, and their
 * secret values are deleted when the run that used them ends.
 */
export const MAX_INPUT_PARAMS = 32;
export const MAX_PARAM_CHARS = 4096;
export const DEFAULT_INPUTS_TTL_MS = 24 * 3600 * 1000;

/** Inputs that cannot be stored as given; the message names the problem (never a value). */
export class InputsError extends AgentplaneError {}

export type NewInputs = {
  template?: string;
  params?: Record<string, string>;
  secrets?: Record<string, string>;
  ttlMs?: number;
};

export type InputsRecord = {
  id: string;
  template: string | null;
  params: Record<string, string>;
  secretNames: string[];
  createdAt: string;
  expiresAt: string;
  runId: string | null;
  discarded: boolean;
};

export type ClaimedInputs = { params: Record<string, string>; secrets: SecretInputs };

export function createRunInputs(deps: { db: Db; backend: SecretBackend; clock?: () => number }) {
  const clock = deps.clock ?? Date.now;
  const secretId = runInputSecretId;
  const recordOf = (r: Record<string, unknown>): InputsRecord => ({
    id: r.id as string,
    template: r.template as string | null,
    params: r.params as Record<string, string>,
    secretNames: r.secret_names as string[],
    createdAt: (r.created_at as Date).toISOString(),
    expiresAt: (r.expires_at as Date).toISOString(),
    runId: r.run_id as string | null,
    discarded: r.discarded_at !== null,
  });

  return {
    /** Stores the inputs and returns their id. Every problem is found before anything is written. */
    async create(input: NewInputs): Promise<string> {
      const params = input.params ?? {};
      const secrets = input.secrets ?? {};
      const problems: string[] = [];
      const names = [...Object.keys(params), ...Object.keys(secrets)];
      for (const n of names) {
        try {
          checkSecretName(n);
        } catch {
          problems.push(`${JSON.stringify(n.slice(0, 64))} is not a valid input name (a letter or _, then letters, digits or _)`);
        }
      }
      if (new Set(names).size !== names.length) problems.push('an input name is given twice');
      if (Object.keys(params).length > MAX_INPUT_PARAMS) problems.push(`at most ${MAX_INPUT_PARAMS} parameters`);
      for (const [n, v] of Object.entries(params)) {
        if (v.length > MAX_PARAM_CHARS) problems.push(`parameter ${n} is longer than ${MAX_PARAM_CHARS} characters`);
        if (v.includes('\u0000')) problems.push(`parameter ${n} contains a NUL character`);
      }
      for (const [n, v] of Object.entries(secrets)) {
        const problem = secretValueProblem(v);
        if (problem) problems.push(`secret ${n}: ${problem}`);
      }
      const ttl = input.ttlMs ?? DEFAULT_INPUTS_TTL_MS;
      if (!(ttl >= 60_000 && ttl <= 30 * 24 * 3600 * 1000)) problems.push('the lifetime of inputs is between one minute and 30 days');
      if (problems.length) throw new InputsError('inputs_invalid', `invalid run inputs: ${problems.join('; ')}`);

      const id = newUlid();
      // Secret values first: a row that names secrets the store does not hold is never visible.
      for (const [n, v] of Object.entries(secrets)) await deps.backend.put(secretId(id, n), v);
      await deps.db.query(
        `INSERT INTO runtime.run_inputs (id, template, params, secret_names, expires_at)
         VALUES ($1, $2, $3::jsonb, $4, to_timestamp($5::bigint / 1000.0))`,
        [id, input.template ?? null, jsonb(params), Object.keys(secrets), clock() + ttl],
      );
      return id;
    },

    async show(id: string): Promise<InputsRecord | undefined> {
      const { rows } = await deps.db.query('SELECT * FROM runtime.run_inputs WHERE id = $1', [id]);
      return rows[0] ? recordOf(rows[0]) : undefined;
    },

    /**
     * The inputs for this run: claimed by it on first use (again by the same run when it resumes).
     * Undefined when they do not exist, expired, belong to another run or template, or were discarded.
     */
    async claim(id: string, run: { runId: string; template: string }): Promise<ClaimedInputs | undefined> {
      const { rows } = await deps.db.query(
        `UPDATE runtime.run_inputs SET run_id = $2, claimed_at = coalesce(claimed_at, now())
         WHERE id = $1 AND (run_id IS NULL OR run_id = $2) AND (template IS NULL OR template = $3)
           AND discarded_at IS NULL AND (run_id = $2 OR expires_at > to_timestamp($4::bigint / 1000.0))
         RETURNING *`,
        [id, run.runId, run.template, clock()],
      );
      if (!rows[0]) return undefined;
      const rec = recordOf(rows[0]);
      return {
        params: rec.params,
        secrets: {
          names: rec.secretNames,
          read: (name) => (rec.secretNames.includes(name) ? deps.backend.get(secretId(id, name)) : Promise.resolve(undefined)),
        },
      };
    },

    /** Deletes the secret values of the inputs a run used (when the run ends); the names stay as a record. */
    async discardFor(runId: string): Promise<void> {
      const { rows } = await deps.db.query('SELECT id, secret_names FROM runtime.run_inputs WHERE run_id = $1 AND discarded_at IS NULL', [
        runId,
      ]);
      for (const r of rows) {
        for (const n of r.secret_names as string[]) await deps.backend.delete(secretId(r.id, n));
        await deps.db.query('UPDATE runtime.run_inputs SET discarded_at = now() WHERE id = $1', [r.id]);
      }
    },

    /** Deletes the secret values of inputs that expired unused; returns how many input sets were discarded. */
    async discardExpired(): Promise<number> {
      const { rows } = await deps.db.query(
        `SELECT id, secret_names FROM runtime.run_inputs
         WHERE run_id IS NULL AND discarded_at IS NULL AND expires_at <= to_timestamp($1::bigint / 1000.0)`,
        [clock()],
      );
      for (const r of rows) {
        for (const n of r.secret_names as string[]) await deps.backend.delete(secretId(r.id, n));
        await deps.db.query('UPDATE runtime.run_inputs SET discarded_at = now() WHERE id = $1', [r.id]);
      }
      return rows.length;
    },
  };
}
export type RunInputs = ReturnType<typeof createRunInputs>;

/** Where the secret value `name` of run inputs `id` is kept in the secret store. */
export function runInputSecretId(id: string, name: string): string {
  return `${RUN_INPUTS_PREFIX}${id}/${name}`;
}
