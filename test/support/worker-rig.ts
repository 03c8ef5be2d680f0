import { after } from 'node:test';
import { jetstream, jetstreamManager, RetentionPolicy, StorageType, type JsMsg, type StoredMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { acceptsTermReason, type DeadLetter, startWorker, type WorkerOptions } from '../../shared/jetstream-worker.ts';
import { silentLogger } from '../../shared/log.ts';
import { localJetStream, until } from './jetstream.ts';

let rigs = 0;

/** How a handled message was settled, as the worker told JetStream. */
export type Settled = { seq: number; delivery: number; how: 'ack' | 'nak' | 'term'; arg?: number | string };

/**
 * One private nats-server with JetStream for a whole test file (starting one per test costs more than
 * most tests): call at the top level of the file.
 */
export const fileJetStream = () => localJetStream({ after });

/**
 * Streams of this test's own on the file's server: a limits-retention source (`<p>.work`, `<p>.other`)
 * and a deduplicating DLQ (`<p>.dlq.>`), and a way to start a worker on the source whose every ack, nak
 * and term is recorded (the handler's message is wrapped before the handler sees it, so the record is
 * exact, not timed).
 */
export async function workerRig(t: { after(fn: () => unknown): void }, nc: NatsConnection) {
  const p = `t${++rigs}`;
  const SOURCE = `T${rigs}_WORK`;
  const DLQ = `T${rigs}_DLQ`;
  const SOURCE_SUBJECT = `${p}.work`;
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name: SOURCE,
    subjects: [SOURCE_SUBJECT, `${p}.other`],
    storage: StorageType.Memory,
    retention: RetentionPolicy.Limits,
  });
  await jsm.streams.add({ name: DLQ, subjects: [`${p}.dlq.>`], storage: StorageType.Memory, duplicate_window: 60_000_000_000 });
  t.after(async () => {
    await jsm.streams.delete(SOURCE);
    await jsm.streams.delete(DLQ);
  });
  const js = jetstream(nc);
  const settled: Settled[] = [];
  const deadLettered: Array<{ seq: number; reason: string; error: Error }> = [];
  let handled = 0;
  const publish = async (body: string, subject = SOURCE_SUBJECT) => (await js.publish(subject, body)).seq;

  const start = async (o: Partial<WorkerOptions> & Pick<WorkerOptions, 'handle'>) => {
    const user = o.handle;
    const recordingDeadLetter: DeadLetter = async (msg, reason, error) => {
      deadLettered.push({ seq: msg.seq, reason, error });
      await (o.deadLetter ?? (async () => {}))(msg, reason, error);
    };
    const w = await startWorker({
      nc,
      stream: SOURCE,
      durable: 'w',
      maxDeliver: 3,
      ackWaitMs: 5_000,
      log: silentLogger(),
      ...o,
      deadLetter: recordingDeadLetter,
      handle: async (msg: JsMsg) => {
        handled += 1;
        record(msg, settled);
        return user(msg);
      },
    });
    t.after(() => w.stop());
    return w;
  };

  /** Every message in a stream, oldest first. */
  const messages = async (stream: string): Promise<StoredMsg[]> => {
    const info = await jsm.streams.info(stream);
    const out: StoredMsg[] = [];
    for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      if (m) out.push(m);
    }
    return out;
  };

  return {
    nc,
    jsm,
    js,
    p,
    SOURCE,
    SOURCE_SUBJECT,
    DLQ,
    settled,
    deadLettered,
    publish,
    start,
    until,
    messages,
    /** What the worker passes to term for `reason`: the reason where this server understands it, else nothing. */
    termArg: (reason: string) => (acceptsTermReason(nc.info?.version) ? reason : undefined),
    /** How many deliveries reached a handler. */
    get handled() {
      return handled;
    },
  };
}

function record(msg: JsMsg, into: Settled[]): void {
  const base = { seq: msg.seq, delivery: msg.info.deliveryCount };
  const ack = msg.ack.bind(msg);
  const nak = msg.nak.bind(msg);
  const term = msg.term.bind(msg);
  msg.ack = () => {
    into.push({ ...base, how: 'ack' });
    ack();
  };
  msg.nak = (delay?: number) => {
    into.push({ ...base, how: 'nak', arg: delay });
    nak(delay);
  };
  msg.term = (reason?: string) => {
    into.push({ ...base, how: 'term', arg: reason });
    term(reason);
  };
}
