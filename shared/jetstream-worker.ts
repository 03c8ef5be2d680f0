import { jetstream, type JsMsg, type JetStreamClient, AckPolicy, DeliverPolicy, jetstreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { exponentialDelays } from './backoff.ts';
import { deleteStreamMessage, ensureConsumer } from './jetstream-admin.ts';
import type { Logger } from './log.ts';
import { PermanentError, WorkerError, isPermanent } from './worker-errors.ts';

export type DeadLetter = (msg: JsMsg, reason: string, error: Error) => Promise<void>;

export type WorkerOptions = {
  nc: NatsConnection;
  stream: string;
  durable: string;
  filterSubject?: string;
  /** Deliveries before a message is dead-lettered; -1 = never give up. */
  maxDeliver: number;
  ackWaitMs: number;
  /** How many messages are handled at once. */
  concurrency?: number;
  /** Resolves to handled (ack), or to `{ retryInMs }` when the message is fine but not done yet (nak, no log). */
  handle: (msg: JsMsg) => Promise<void | { retryInMs: number }>;
  deadLetter: DeadLetter;
  log: Logger;
  random?: () => number;
};

/**
 * A durable pull consumer with explicit acks. Each message ends one of three ways: ack (handled),
 * nak with backoff (retryable failure, more deliveries left), or dead-lettered then term (permanent
 * failure, or retryable failure on its last delivery) — never a silent drop.
 */
export async function startWorker(opts: WorkerOptions): Promise<{ stop(): Promise<void> }> {
  const jsm = await jetstreamManager(opts.nc);
  await ensureConsumer(jsm, opts.stream, {
    durable_name: opts.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    max_deliver: opts.maxDeliver,
    ack_wait: opts.ackWaitMs * 1_000_000,
    max_ack_pending: Math.max(64, (opts.concurrency ?? 1) * 4),
    filter_subject: opts.filterSubject,
  });
  const js: JetStreamClient = jetstream(opts.nc);
  const consumer = await js.consumers.get(opts.stream, opts.durable);
  const messages = await consumer.consume({ max_messages: Math.max(8, (opts.concurrency ?? 1) * 2) });
  const inflight = new Set<Promise<void>>();
  const limit = opts.concurrency ?? 1;
  const retryDelay = exponentialDelays({ initialMs: 250, maxMs: 30_000, jitter: 'equal', random: opts.random });
  const retryLog = throttledRetryLog(opts);
  const settleOpts = { ...opts, termReason: acceptsTermReason(opts.nc.info?.version) };

  let stopping = false;
  const loop = (async () => {
    for await (const msg of messages) {
      // Fetched before the stop but not begun: given back at once for another worker, not started here.
      if (stopping) {
        msg.nak();
        continue;
      }
      const p = settle(msg, settleOpts, retryDelay, retryLog).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= limit) await Promise.race(inflight);
    }
    await Promise.allSettled(inflight);
  })();

  return {
    async stop() {
      stopping = true;
      await messages.close();
      await loop;
    },
  };
}

type RetryLog = (reason: string, fields: Record<string, unknown>, err: unknown) => void;

/**
 * "Will be retried" lines, at most one per reason per interval: while a dependency is down every
 * message fails the same way, and a line (with a stack) per message would bury everything else.
 */
function throttledRetryLog(opts: WorkerOptions, intervalMs = 30_000): RetryLog {
  const last = new Map<string, { at: number; skipped: number }>();
  return (reason, fields, err) => {
    const now = Date.now();
    const seen = last.get(reason);
    if (seen && now - seen.at < intervalMs) {
      seen.skipped += 1;
      return;
    }
    opts.log.warn({ stream: opts.stream, reason, ...fields, retriesNotLogged: seen?.skipped ?? 0, err }, 'message will be retried');
    last.set(reason, { at: now, skipped: 0 });
  };
}

/**
 * A term with a reason (`+TERM <reason>`) is understood from nats-server 2.10.4; an older server ignores
 * it whole, so the message would stay pending and come back after the ack wait. The reason is only the
 * server's advisory's: the dead letter's headers carry it either way.
 */
export function acceptsTermReason(version: string | undefined): boolean {
  const [major = 0, minor = 0, patch = 0] = (version ?? '').split(/[.-]/).map((n) => Number.parseInt(n, 10) || 0);
  return major > 2 || (major === 2 && (minor > 10 || (minor === 10 && patch >= 4)));
}

async function settle(
  msg: JsMsg,
  opts: WorkerOptions & { termReason: boolean },
  retryDelay: (attempt: number) => number,
  retryLog: RetryLog,
): Promise<void> {
  try {
    const outcome = await opts.handle(msg);
    if (outcome && (opts.maxDeliver < 0 || msg.info.deliveryCount < opts.maxDeliver)) {
      msg.nak(outcome.retryInMs);
      return;
    }
    if (outcome) throw new PermanentError('not_completed', 'message was not completed within its deliveries');
    msg.ack();
  } catch (raw) {
    const err = raw instanceof Error ? raw : new Error('handler threw a non-error', { cause: raw });
    const permanent = isPermanent(err);
    const lastTry = opts.maxDeliver > 0 && msg.info.deliveryCount >= opts.maxDeliver;
    // Only our own codes become reasons: a reason is a subject token and an operator's alert key.
    const reason = err instanceof WorkerError ? err.code : 'handler_error';
    if (!permanent && !lastTry) {
      const delay = retryDelay(msg.info.deliveryCount);
      retryLog(reason, { delivery: msg.info.deliveryCount, delayMs: delay }, err.cause ?? err);
      msg.nak(delay);
      return;
    }
    try {
      await opts.deadLetter(msg, permanent ? reason : 'max_deliveries', err);
      opts.log.warn({ stream: opts.stream, reason, seq: msg.seq }, 'message dead-lettered');
      if (opts.termReason) msg.term(reason);
      else msg.term();
    } catch (dlqErr) {
      // The DLQ itself failed: keep the message (nak) rather than drop it.
      opts.log.error({ err: dlqErr, stream: opts.stream }, 'dead-letter failed; message kept');
      msg.nak(retryDelay(msg.info.deliveryCount));
    }
  }
}

/** The DLQ's dedupe id for a source message: the handler path and the advisory path store it once. */
export const dlqMsgId = (stream: string, streamSeq: number): string => `dlq:${stream}:${streamSeq}`;

/** Where a dead-lettered message came from and why; every way into a DLQ writes these headers. */
export type DlqOrigin = {
  reason: string;
  stream: string;
  streamSeq: number;
  subject?: string;
  consumer?: string;
  deliveries?: number;
};

/** The headers of a DLQ entry: `Ap-Dlq-*` for its origin and reason, `Nats-Msg-Id` so it is stored once. */
export function dlqHeaders(origin: DlqOrigin): MsgHdrs {
  const h = natsHeaders();
  h.set('Ap-Dlq-Reason', origin.reason);
  h.set('Ap-Dlq-Stream', origin.stream);
  h.set('Ap-Dlq-Stream-Seq', String(origin.streamSeq));
  if (origin.subject !== undefined) h.set('Ap-Dlq-Subject', origin.subject);
  if (origin.consumer !== undefined) h.set('Ap-Dlq-Consumer', origin.consumer);
  if (origin.deliveries !== undefined) h.set('Ap-Dlq-Deliveries', String(origin.deliveries));
  h.set('Nats-Msg-Id', dlqMsgId(origin.stream, origin.streamSeq));
  return h;
}

/**
 * Copies a message into a DLQ subject with its origin and reason in headers. With
 * `removeFromSource`, the original is then deleted from its (limits-retention) stream, so a
 * dead-lettered message lives in exactly one place: it is moved, not copied.
 */
export function dlqPublisher(
  nc: NatsConnection,
  subjectFor: (reason: string) => string,
  opts: { removeFromSource?: boolean } = {},
): DeadLetter {
  const js = jetstream(nc);
  // No API check now: an eager check during a hub reload would reject with nobody awaiting it (a crash).
  const jsmP = opts.removeFromSource ? jetstreamManager(nc, { checkAPI: false }) : undefined;
  return async (msg, reason) => {
    const headers = dlqHeaders({
      reason,
      stream: msg.info.stream,
      streamSeq: msg.seq,
      subject: msg.subject,
      deliveries: msg.info.deliveryCount,
    });
    await js.publish(subjectFor(reason), msg.data, { headers });
    if (jsmP) await deleteStreamMessage(await jsmP, msg.info.stream, msg.seq);
  };
}
