import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../../shared/errors.ts';
import { TEMPLATES } from '../../../shared/boundary.ts';
import { newUlid, ULID_RE } from '../../../shared/ids.ts';
import type { TokenVerifier } from '../../../shared/tokens.ts';
import { requireAuth, authOf } from '../middleware/require-auth/index.ts';
import { parseInput } from '../validate.ts';
import { DEFAULT_ENVIRONMENT, dispatchSchema, environmentName } from '../../../shared/dispatch.ts';
import type { WorkflowStore } from '../../db/workflows.ts';
import { type Db, inTransaction } from '../../db/pool.ts';
import type { Dispatcher } from '../../routing/dispatch.ts';

const createBody = z.strictObject({
  template: z.enum(TEMPLATES),
  repo: dispatchSchema.shape.repo,
  inputs: dispatchSchema.shape.inputs,
  /** The customer plane's named environment; omitted = `sandbox` (the customer plane checks it exists). */
  environment: environmentName().optional(),
});
const idParams = z.strictObject({ id: z.string().regex(ULID_RE, 'workflow id must be a ULID') });

/** Tenants start workflows with an api token and read back metadata only. */
export function workflowRoutes(deps: { db: Db; workflows: WorkflowStore; dispatcher: Dispatcher; verifier: TokenVerifier }) {
  const api = requireAuth(deps.verifier, 'api');
  return async (app: FastifyInstance) => {
    app.post('/v1/workflows', { onRequest: api }, async (req, reply) => {
      const { tenant } = authOf(req);
      const body = parseInput(createBody, req.body);
      const id = newUlid();
      // The row commits only once the hub acknowledged the dispatch: with the hub unreachable the
      // request is refused (503 + Retry-After) and nothing is left behind. A dispatch names its
      // environment only when the client did: one that names none is exactly what customer planes from
      // before environments accept.
      await inTransaction(deps.db, async (client) => {
        await deps.workflows.create({ id, tenantId: tenant, template: body.template }, client);
        await deps.dispatcher.enqueue(
          {
            workflowId: id,
            tenant,
            template: body.template,
            repo: body.repo,
            ...(body.environment ? { environment: body.environment } : {}),
            requestedAt: Date.now(),
            ...(body.inputs ? { inputs: body.inputs } : {}),
          },
          { requestId: req.id },
        );
      });
      return reply.status(202).send({ id, status: 'queued', environment: body.environment ?? DEFAULT_ENVIRONMENT });
    });

    app.get('/v1/workflows/:id', { onRequest: api }, async (req) => {
      const { tenant } = authOf(req);
      const { id } = parseInput(idParams, req.params, 'path');
      // Scoped by tenant in the query: another tenant's workflow is indistinguishable from a missing one.
      const wf = await deps.workflows.get(id, tenant);
      if (!wf) throw new NotFoundError('no such workflow');
      return wf;
    });
  };
}
