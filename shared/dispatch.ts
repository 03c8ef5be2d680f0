import { z } from 'zod';
import { TEMPLATES } from './boundary.ts';
import { ULID_RE, UUID_RE } from './ids.ts';

/**
 * The down contract: everything a dispatch may carry to a customer plane. The repository is named
 * by an alias the customer plane maps to a local path, so the control plane never learns the path.
 */
export const REPO_ALIAS_RE = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** A named environment of a customer plane (sandbox, preview, production, or one the customer defines): a safe token. */
export const ENVIRONMENT_NAME_RE = /^[a-z][a-z0-9-]{0,31}$/;
/** The environment of a dispatch that names none (every client before environments existed). */
export const DEFAULT_ENVIRONMENT = 'sandbox';

export const environmentName = () =>
  z.string().regex(ENVIRONMENT_NAME_RE, 'environment: a lowercase letter, then lowercase letters, digits and dashes, at most 32');

export const dispatchSchema = z.strictObject({
  workflowId: z.string().regex(ULID_RE, 'not a ULID'),
  tenant: z.string().regex(UUID_RE, 'not a UUID'),
  template: z.enum(TEMPLATES),
  repo: z.string().regex(REPO_ALIAS_RE, 'repo alias: lowercase letters, digits and dashes, at most 40'),
  /** Absent: `sandbox`. Left out of a dispatch that does not name one, so a customer plane from before environments still takes it. */
  environment: environmentName().optional(),
  requestedAt: z.number().int(),
  /**
   * Inputs given to the run locally, in the customer plane (parameters and secrets): only their id
   * crosses; the values never leave the customer's account.
   */
  inputs: z.string().regex(ULID_RE, 'inputs: the id (a ULID) printed by `npm run runs -- inputs put`').optional(),
});
export type Dispatch = z.infer<typeof dispatchSchema>;

/** The environment a dispatch runs in. */
export const environmentOf = (d: Pick<Dispatch, 'environment'>): string => d.environment ?? DEFAULT_ENVIRONMENT;
