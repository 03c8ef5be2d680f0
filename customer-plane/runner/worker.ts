import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Dispatch } from '../../shared/dispatch.ts';
import { newUlid, ULID_RE } from '../../shared/ids.ts';
import { dlqPublisher, startWorker } from '../../shared/jetstream-worker.ts';
import { PermanentError } from '../../shared/worker-errors.ts';
import type { Logger } from '../../shared/log.ts';
import { REQUEST_ID_HEADER } from '../../shared/request-id.ts';
import { startExhaustedMover } from './exhausted.ts';
import { isRunLocked, tryLockRun } from './ledger/lock.ts';
import { finish, type RunnerDeps, runWorkflow } from './run-workflow.ts';
import { parseDispatch, WORK_DLQ_SUBJECT, WORK_STREAM } from './work-queue.ts';

export type RunnerOptions = RunnerDeps & {
  nc: NatsConnection;
  /** Workflows this runner process runs at once. */
  concurrency?: number;
  /** JetStream ack wait: a runner that has not shown life for this long is presumed dead and its run goes to another. */
  ackWaitMs?: number;
  /** Deliveries of a run's work before it is given up with `delivery_exhausted`. */
  maxDeliver?: number;
  /** How often a running workflow is reported to the control plane (`workflow.heartbeat`), so it can tell a long run from a silent plane. */
  reportIntervalMs?: number;
};

export const DEFAULT_ACK_WAIT_MS = 30_000;
export const DEFAULT_MAX_DELIVER = 3;
export const DEFAULT_REPORT_INTERVAL_MS = 60_000;

/** Handlers for the local work queue; a workflow's own failure is a result (ack), not a retry. */
export function createHandlers(deps: RunnerOptions) {
  const ackWaitMs = deps.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
  return {
    async runOne(msg: JsMsg): Promise<void | { retryInMs: number }> {
      const d = parseDispatch(msg);
      if (!d) throw new PermanentError('malformed_work', 'queued work is not a valid dispatch');
      // One runner per run across processes; another holding it is alive (its lock dies with it).
      const lock = await tryLockRun(deps.db, d.workflowId);
      if (!lock) return { retryInMs: ackWaitMs };
      // Long runs: tell JetStream we are alive, well within its ack wait, so the work is not redelivered mid-run
      // (and no longer once the lock is lost: the run is then stopping and must go back to the queue).
      const heartbeat = setInterval(
        () => {
          if (!lock.lost.aborted) msg.working();
        },
        Math.max(200, Math.floor(ackWaitMs / 3)),
      );
      // And tell the control plane: only the workflow id and a time cross.
      const report = setInterval(
        () => deps.events.emit('meta', { type: 'workflow.heartbeat', eventId: newUlid(), workflowId: d.workflowId, at: deps.clock() }),
        deps.reportIntervalMs ?? DEFAULT_REPORT_INTERVAL_MS,
      );
      try {
        const requestId = msg.headers?.get(REQUEST_ID_HEADER.nats) || undefined;
        // A lost lock stops the run's steps where they are, unrecorded: it resumes from its ledger on a later delivery.
        await runWorkflow(d, { ...deps, log: deps.log.child({ reqId: requestId }) }, { requestId, signal: lock.lost });
      } finally {
        clearInterval(heartbeat);
        clearInterval(report);
        await lock.release();
      }
    },
    /** The work can no longer be delivered: the run ends `failed` with `delivery_exhausted`, never stays running. */
    async exhausted(d: Dispatch): Promise<void> {
      await deps.ledger.ensureRun(d);
      await deps.ledger.abandonSteps(d.workflowId, 'delivery_exhausted');
      const opened = await deps.ledger.getRun(d.workflowId);
      await finish(opened!.run, deps, 'failed', 'delivery_exhausted', deps.log.child({ workflowId: d.workflowId }));
      await rm(join(deps.workspaceDir, d.workflowId), { recursive: true, force: true });
    },
  };
}

/**
 * Workspaces left by runs that no runner is executing any more (a crash, a kill -9): removed at start.
 * A run still held by a live runner (its ledger lock) keeps its workspace, so several runners may
 * share one workspace folder.
 */
export async function removeLeftoverWorkspaces(deps: Pick<RunnerOptions, 'db' | 'workspaceDir' | 'log'>): Promise<number> {
  let removed = 0;
  for (const name of await readdir(deps.workspaceDir).catch(() => [] as string[])) {
    if (ULID_RE.test(name) && (await isRunLocked(deps.db, name))) continue;
    await rm(join(deps.workspaceDir, name), { recursive: true, force: true });
    removed += 1;
  }
  if (removed) deps.log.info({ removed }, 'removed workspaces of runs that are no longer running');
  return removed;
}

export async function startRunner(opts: RunnerOptions & { log: Logger }) {
  const handlers = createHandlers(opts);
  await removeLeftoverWorkspaces(opts);
  const maxDeliver = opts.maxDeliver ?? DEFAULT_MAX_DELIVER;
  const toDlq = dlqPublisher(opts.nc, () => WORK_DLQ_SUBJECT);
  const worker = await startWorker({
    nc: opts.nc,
    stream: WORK_STREAM,
    durable: 'runner',
    maxDeliver,
    ackWaitMs: opts.ackWaitMs ?? DEFAULT_ACK_WAIT_MS,
    concurrency: opts.concurrency ?? 2,
    handle: handlers.runOne,
    deadLetter: async (msg, reason, err) => {
      const d = parseDispatch(msg);
      if (d) await handlers.exhausted(d);
      await toDlq(msg, reason, err);
    },
    log: opts.log,
  });
  // A runner that died on the last delivery never reaches the handler above: the server's advisory does.
  const mover = await startExhaustedMover({ nc: opts.nc, log: opts.log, onExhausted: handlers.exhausted });
  return {
    async stop() {
      await worker.stop();
      await mover.stop();
    },
  };
}
