import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AGENT_NAMES } from '../../../shared/boundary.ts';
import { NotFoundError } from '../../../shared/errors.ts';
import { ULID_RE } from '../../../shared/ids.ts';
import type { ApprovalStore } from '../../approvals/store.ts';
import type { Environments } from '../../environments/environments.ts';
import type { Memory } from '../../memory/memory.ts';
import type { createRunRecords } from '../../runner/ledger/records.ts';
import { type Authenticator, requireLocalAuth } from '../api/auth.ts';
import { parseLocalInput } from '../api/validate.ts';
import { sessionOf } from '../session-auth.ts';
import { environmentsPage } from '../views/environments.ts';
import type { Viewer } from '../views/layout.ts';
import { runListPage, runPage } from '../views/runs.ts';
import { whatLeftPage } from '../views/what-left.ts';
import { readWhatLeft } from '../what-left.ts';

const runParams = z.strictObject({ id: z.string().regex(ULID_RE, 'a run id is a ULID (as the runs page lists them)') });
const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
const dayParams = z.strictObject({ day: z.iso.date('a day is YYYY-MM-DD') });
const dayQuery = z.strictObject({ after: z.coerce.number().int().min(0).optional() });

/** The viewer of a page behind requireLocalAuth (its session is there by then). */
export function viewerOf(req: FastifyRequest): NonNullable<Viewer> {
  const s = sessionOf(req)!;
  return { csrfToken: s.csrfToken, name: s.principal.name };
}

export const sendPage = (reply: { type(t: string): { send(body: string): unknown } }, body: { toString(): string }) =>
  reply.type('text/html; charset=utf-8').send(body.toString());

/**
 * The pages that only read: runs and their results (the run ledger's own record functions), the
 * environments with each agent's autonomy level (memory's), and what left (the audit chain's check).
 */
export function readPages(deps: {
  authenticate: Authenticator;
  records: ReturnType<typeof createRunRecords>;
  approvals: ApprovalStore;
  environments: Environments;
  memory: Pick<Memory, 'autonomyLevels'>;
  auditLogPath: string;
  clock: () => number;
}) {
  const runsRead = requireLocalAuth(deps.authenticate, 'runs:read');
  const envRead = requireLocalAuth(deps.authenticate, 'environments:read');
  const auditRead = requireLocalAuth(deps.authenticate, 'audit:read');
  return async (app: FastifyInstance) => {
    app.get('/', { onRequest: runsRead }, async (_req, reply) => reply.redirect('/runs', 303));

    app.get('/runs', { onRequest: runsRead }, async (req, reply) => {
      const q = parseLocalInput(listQuery, req.query, 'query');
      return sendPage(reply, runListPage(await deps.records.list(q.limit), viewerOf(req)));
    });

    app.get('/runs/:id', { onRequest: runsRead }, async (req, reply) => {
      const { id } = parseLocalInput(runParams, req.params, 'path');
      await deps.approvals.expireOverdue(deps.clock());
      const run = await deps.records.show(id);
      if (!run) throw new NotFoundError('no run with that id in this customer plane');
      const pending = (await deps.approvals.list({ status: 'pending', limit: 1000 })).filter((a) => a.runId === id);
      return sendPage(reply, runPage(run, pending, viewerOf(req)));
    });

    app.get('/environments', { onRequest: envRead }, async (req, reply) => {
      const names = deps.environments.names();
      const levels = await deps.memory.autonomyLevels({ agents: AGENT_NAMES, environments: names });
      return sendPage(
        reply,
        environmentsPage({
          source: deps.environments.source,
          environments: names.map((n) => deps.environments.getEnvironment(n)!),
          levels,
          viewer: viewerOf(req),
        }),
      );
    });

    app.get('/what-left', { onRequest: auditRead }, async (req, reply) =>
      sendPage(reply, whatLeftPage(readWhatLeft(deps.auditLogPath), viewerOf(req))),
    );

    app.get('/what-left/:day', { onRequest: auditRead }, async (req, reply) => {
      const { day } = parseLocalInput(dayParams, req.params, 'path');
      const { after } = parseLocalInput(dayQuery, req.query, 'query');
      return sendPage(reply, whatLeftPage(readWhatLeft(deps.auditLogPath, { day, after }), viewerOf(req)));
    });
  };
}
