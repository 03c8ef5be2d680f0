import { jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { type Dispatch, dispatchSchema } from '../../shared/dispatch.ts';
import { ensureStream } from '../../shared/jetstream-admin.ts';
import { REQUEST_ID_HEADER } from '../../shared/request-id.ts';

/**
 * The customer plane's local work queue on the leaf: accepted dispatches wait here for a runner.
 * More runner tasks on the same queue is how the customer plane scales out. Dedupe on the workflow
 * id makes the control plane's re-sends harmless.
 */
export const WORK_STREAM = 'AP_WORK';
export const WORK_SUBJECT = 'ap.local.work';
export const WORK_DLQ_SUBJECT = 'ap.local.dlq.work';

export async function ensureWorkQueue(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const cfg of [
    {
      name: WORK_STREAM,
      subjects: [WORK_SUBJECT],
      storage: StorageType.File,
      retention: RetentionPolicy.Workqueue,
      duplicate_window: 2 * 3600 * 1_000_000_000,
    },
    { name: 'AP_WORK_DLQ', subjects: ['ap.local.dlq.>'], storage: StorageType.File, retention: RetentionPolicy.Limits },
  ])
    await ensureStream(jsm, cfg);
}

export function createWorkQueue(nc: NatsConnection) {
  const js = jetstream(nc);
  return {
    /** True when newly queued, false when this workflow id was already queued (a re-send). */
    async enqueue(workflowId: string, data: Uint8Array, requestId?: string): Promise<boolean> {
      const h = natsHeaders();
      if (requestId) h.set(REQUEST_ID_HEADER.nats, requestId);
      const ack = await js.publish(WORK_SUBJECT, data, { msgID: workflowId, headers: h });
      return !ack.duplicate;
    },
  };
}

/** The dispatch a work message carries, or undefined when it is not one. */
export function parseDispatch(msg: { data: Uint8Array }): Dispatch | undefined {
  try {
    const parsed = dispatchSchema.safeParse(JSON.parse(new TextDecoder().decode(msg.data)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
