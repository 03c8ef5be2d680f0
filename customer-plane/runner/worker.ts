import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { dlqPublisher, startWorker } from '../../shared/jetstream-worker.ts';
import { PermanentError } from '../../shared/worker-errors.ts';
import type { Logger } from '../../shared/log.ts';
import { REQUEST_ID_HEADER } from '../../shared/request-id.ts';
import { dispatchSchema } from '../../shared/dispatch.ts';
import { runWorkflow, type RunDeps } from './run-workflow.ts';
import { WORK_DLQ_SUBJECT, WORK_STREAM } from './work-queue.ts';

/** Handlers for the local work queue; a workflow's own failure is a result (ack), not a retry. */
export function createHandlers(deps: RunDeps) {
  return {
    async runOne(msg: JsMsg): Promise<void> {
      const parsed = dispatchSchema.safeParse(JSON.parse(msg.string()));
      if (!parsed.success) throw new PermanentError('malformed_work', 'queued work is not a valid dispatch');
      // Long runs: tell JetStream we are alive so the message is not redelivered mid-run.
      const heartbeat = setInterval(() => msg.working(), 10_000);
      try {
        const requestId = msg.headers?.get(REQUEST_ID_HEADER.nats) || undefined;
        await runWorkflow(parsed.data, { ...deps, log: deps.log.child({ reqId: requestId }) });
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}

export async function startRunner(opts: RunDeps & { nc: NatsConnection; log: Logger; concurrency?: number }) {
  const handlers = createHandlers(opts);
  return startWorker({
    nc: opts.nc,
    stream: WORK_STREAM,
    durable: 'runner',
    maxDeliver: 3,
    ackWaitMs: 30_000,
    concurrency: opts.concurrency ?? 2,
    handle: handlers.runOne,
    deadLetter: dlqPublisher(opts.nc, () => WORK_DLQ_SUBJECT),
    log: opts.log,
  });
}
