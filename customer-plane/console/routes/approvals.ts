import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../../../shared/errors.ts';
import { ULID_RE } from '../../../shared/ids.ts';
import { APPROVAL_STATUSES, type ApprovalStore, decisionNote } from '../../approvals/store.ts';
import { type Authenticator, principalOf, requireLocalAuth } from '../api/auth.ts';
import { parseLocalInput } from '../api/validate.ts';
import { path } from '../html.ts';
import { requireCsrf } from '../session-auth.ts';
import { approvalListPage, approvalPage } from '../views/approvals.ts';
import { sendPage, viewerOf } from './pages.ts';

const idParams = z.strictObject({ id: z.string().regex(ULID_RE, 'an approval id is a ULID (as the approvals page lists them)') });
const listQuery = z.strictObject({ status: z.enum([...APPROVAL_STATUSES, 'all']).default('pending') });
const decisionForm = z.strictObject({
  _csrf: z.string(),
  decision: z.enum(['approve', 'reject'], 'decision: approve or reject'),
  // An empty textarea is no note.
  note: z.preprocess((v) => (v === '' ? undefined : v), decisionNote.optional()),
});

/**
 * Approvals in the console, through the approvals store the CLI and the local API use (same rules:
 * decided once, only while pending and before the deadline). A decision needs a live session with
 * `approvals:decide` (401 otherwise), the session's CSRF token (403), and a well-formed form (400) —
 * each checked before the store is touched; the store's own refusals (unknown, expired, already
 * decided, superseded, closed) come back as their code with 404/409. Success redirects to the approval's page.
 */
export function approvalPages(deps: { authenticate: Authenticator; store: ApprovalStore; clock: () => number }) {
  const read = requireLocalAuth(deps.authenticate, 'approvals:read');
  const decide = requireLocalAuth(deps.authenticate, 'approvals:decide');
  return async (app: FastifyInstance) => {
    app.get('/approvals', { onRequest: read }, async (req, reply) => {
      const q = parseLocalInput(listQuery, req.query, 'query');
      const now = deps.clock();
      await deps.store.expireOverdue(now);
      const approvals = await deps.store.list({ status: q.status, limit: 500 });
      return sendPage(reply, approvalListPage({ approvals, status: q.status, now, viewer: viewerOf(req) }));
    });

    app.get('/approvals/:id', { onRequest: read }, async (req, reply) => {
      const { id } = parseLocalInput(idParams, req.params, 'path');
      const now = deps.clock();
      await deps.store.expireOverdue(now);
      const approval = await deps.store.get(id);
      if (!approval) throw new NotFoundError('no approval with that id in this customer plane');
      return sendPage(reply, approvalPage(approval, now, viewerOf(req)));
    });

    app.post('/approvals/:id/decision', { onRequest: decide, preHandler: requireCsrf }, async (req, reply) => {
      const { id } = parseLocalInput(idParams, req.params, 'path');
      const form = parseLocalInput(decisionForm, req.body, 'body');
      const who = principalOf(req).name;
      const decision = form.decision === 'approve' ? 'approved' : 'rejected';
      await deps.store.decide(id, decision, { who, note: form.note, now: deps.clock() });
      req.log.info({ approvalId: id, decision, decidedBy: who }, 'approval decided in the console');
      return reply.redirect(path('/approvals', id), 303);
    });
  };
}
