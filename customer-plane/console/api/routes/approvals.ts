import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ULID_RE } from '../../../../shared/ids.ts';
import { NotFoundError } from '../../../../shared/errors.ts';
import { APPROVAL_STATUSES, type ApprovalRecord, type ApprovalStore, type Decision, decisionNote } from '../../../approvals/store.ts';
import { type Authenticator, principalOf, requireLocalAuth } from '../auth.ts';
import { parseLocalInput } from '../validate.ts';

const idParams = z.strictObject({ id: z.string().regex(ULID_RE, 'an approval id is a ULID (as `GET /v1/approvals` lists them)') });
const listQuery = z.strictObject({
  status: z.enum([...APPROVAL_STATUSES, 'all']).default('pending'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const decisionBody = z.strictObject({ note: decisionNote.optional() }).optional();

/** A list entry: the record without its diff (which can be large); `GET /v1/approvals/:id` has it. */
export function approvalSummary(a: ApprovalRecord) {
  const { diff, ...preview } = a.preview;
  return { ...a, preview: { ...preview, diffLines: diff === undefined ? undefined : diff.split('\n').length } };
}

/**
 * Pending approvals and their decisions. Reads need `approvals:read`, decisions `approvals:decide`; an
 * unknown, expired, superseded, closed or already decided approval is refused with its code (404 or 409) and
 * nothing changes.
 */
export function approvalRoutes(deps: { store: ApprovalStore; authenticate: Authenticator; clock: () => number }) {
  const read = requireLocalAuth(deps.authenticate, 'approvals:read');
  const decide = requireLocalAuth(deps.authenticate, 'approvals:decide');
  return async (app: FastifyInstance) => {
    app.get('/v1/approvals', { onRequest: read }, async (req) => {
      const q = parseLocalInput(listQuery, req.query, 'query');
      await deps.store.expireOverdue(deps.clock());
      const approvals = await deps.store.list({ status: q.status, limit: q.limit });
      return { approvals: approvals.map(approvalSummary) };
    });

    app.get('/v1/approvals/:id', { onRequest: read }, async (req) => {
      const { id } = parseLocalInput(idParams, req.params, 'path');
      await deps.store.expireOverdue(deps.clock());
      const approval = await deps.store.get(id);
      if (!approval) throw new NotFoundError('no approval with that id in this customer plane');
      return { approval };
    });

    for (const [verb, decision] of [
      ['approve', 'approved'],
      ['reject', 'rejected'],
    ] as Array<[string, Decision]>) {
      app.post(`/v1/approvals/:id/${verb}`, { onRequest: decide }, async (req) => {
        const { id } = parseLocalInput(idParams, req.params, 'path');
        const body = parseLocalInput(decisionBody, req.body, 'body');
        const who = principalOf(req).name;
        const approval = await deps.store.decide(id, decision, { who, note: body?.note, now: deps.clock() });
        req.log.info({ approvalId: id, decision, decidedBy: who }, 'approval decided through the local API');
        return { approval };
      });
    }
  };
}
