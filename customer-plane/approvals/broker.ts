import type { Db } from '../../shared/db/pool.ts';
import type { Logger } from '../../shared/log.ts';
import { RetryableError } from '../../shared/worker-errors.ts';
import type { ApprovalAnswer, ApprovalBroker, ApprovalRequest } from '../gate/approval-broker.ts';
import type { Environments } from '../environments/environments.ts';
import { approvalTiming, nextWaitStep } from './deadline.ts';
import { ApprovalInterrupted } from './errors.ts';
import { createDecisionListener } from './listener.ts';
import { type ApprovalRecord, createApprovalStore } from './store.ts';

export type StoredBroker = ApprovalBroker & {
  /** Interrupts every wait (their runs go back to the work queue, the approvals stay pending) and stops listening. */
  close(): Promise<void>;
};

/** The approvals table could not be read or written: the run is retried later, never failed or approved for it. */
export class ApprovalsUnavailable extends RetryableError {
  constructor(cause: unknown) {
    super('approvals_unavailable', 'the approvals table is unavailable', { cause });
  }
}

/**
 * The approval broker the customer plane wires into the gate. An ask becomes a pending approval in the
 * `approvals` schema, with its preview and the deadline of the run's environment, and the step waits:
 * woken at once by the decision's NOTIFY (re-reading at least every `pollMs`), it logs one warning
 * `warnBeforeSeconds` before the deadline and, at the deadline, marks the approval expired and answers
 * `timeout` — never approved by default. Asked again for the same action of the same step (the run
 * resumed after a crash or restart), it waits on the stored approval, or answers its stored decision.
 */
export function createStoredBroker(deps: {
  db: Db;
  environments: Environments;
  log: Logger;
  clock?: () => number;
  pollMs?: number;
}): StoredBroker {
  const clock = deps.clock ?? Date.now;
  const pollMs = deps.pollMs ?? 1000;
  const store = createApprovalStore(deps.db);
  const listener = createDecisionListener({ db: deps.db, log: deps.log });
  let closed = false;

  const stored = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (err) {
      throw new ApprovalsUnavailable(err);
    }
  };

  async function request(req: ApprovalRequest): Promise<ApprovalAnswer> {
    if (closed || req.signal.aborted) throw new ApprovalInterrupted();
    const environment = deps.environments.getEnvironment(req.policy.environment);
    if (!environment) return { outcome: 'rejected', note: 'the run names an environment this customer plane does not have' };
    await listener.ensure();
    const { signal, ...rest } = req;
    const { approval, created } = await stored(() => store.open(rest, approvalTiming(environment, clock())));
    const log = deps.log.child({ approvalId: approval.id, workflowId: req.runId, stepId: req.stepId });
    if (created)
      log.info(
        { agent: req.agent, tool: req.tool, reason: req.reason, environment: environment.name, deadlineAt: approval.deadlineAt },
        'approval requested: waiting for a person (npm run approvals -- show <id>)',
      );
    else log.info({ status: approval.status }, 'approval requested again by the resumed step: the stored one stands');
    return waitForDecision(approval, log, signal);
  }

  async function waitForDecision(first: ApprovalRecord, log: Logger, signal: AbortSignal): Promise<ApprovalAnswer> {
    const id = first.id;
    let current: ApprovalRecord | undefined = first;
    for (;;) {
      if (!current) throw new ApprovalsUnavailable(new Error('the approval disappeared'));
      const now = clock();
      const step = nextWaitStep(current, now, pollMs);
      if (step.kind === 'answer') {
        if (current.status === 'expired')
          log.warn({ deadlineAt: current.deadlineAt }, 'approval expired: the action is denied and the step fails with approval_timeout');
        else if (current.status === 'approved' || current.status === 'rejected')
          log.info({ outcome: current.status, decidedBy: current.decidedBy }, 'approval decided');
        return step.answer;
      }
      if (step.kind === 'expire') {
        await stored(() => store.expire(id, now));
        current = await stored(() => store.get(id));
        continue;
      }
      if (step.warn && (await stored(() => store.markWarned(id, now))))
        log.warn(
          { secondsLeft: Math.ceil((Date.parse(current.deadlineAt) - now) / 1000), deadlineAt: current.deadlineAt },
          'approval expires soon: decide it (npm run approvals -- approve|reject <id>) or the action is denied',
        );
      await listener.ensure();
      const watch = listener.watch(id, step.ms, signal);
      const fresh = await stored(() => store.get(id)).catch((err) => {
        watch.cancel();
        throw err;
      });
      if (fresh?.status !== 'pending') {
        watch.cancel();
        current = fresh;
        continue;
      }
      await watch.done;
      current = await stored(() => store.get(id));
    }
  }

  return {
    request,
    async closeFor(scope, reason) {
      const closed = await stored(() => store.closePending(scope, reason, clock()));
      if (closed)
        deps.log.info(
          { workflowId: scope.runId, stepId: scope.stepId, closed, reason },
          'closed approvals nobody needs to decide any more',
        );
    },
    async close() {
      closed = true;
      await listener.close();
    },
  };
}
