import type { ConsumerConfig, JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import { isStreamOrConsumerMissing } from './nats-errors.ts';

export type StreamSpec = Partial<StreamConfig> & { name: string };
export type ConsumerSpec = Partial<ConsumerConfig> & { durable_name: string };

/**
 * Creates the stream, or brings an existing one to this configuration: every start applies the
 * configuration the code declares, so a changed limit reaches streams created by older releases.
 */
export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec): Promise<void> {
  try {
    await jsm.streams.info(spec.name);
  } catch (err) {
    if (!isStreamOrConsumerMissing(err)) throw err;
    await jsm.streams.add(spec);
    return;
  }
  await jsm.streams.update(spec.name, spec);
}

/** The same for a durable consumer of `stream`. */
export async function ensureConsumer(jsm: JetStreamManager, stream: string, spec: ConsumerSpec): Promise<void> {
  try {
    await jsm.consumers.info(stream, spec.durable_name);
  } catch (err) {
    if (!isStreamOrConsumerMissing(err)) throw err;
    await jsm.consumers.add(stream, spec);
    return;
  }
  await jsm.consumers.update(stream, spec.durable_name, spec);
}

/**
 * Deletes one message from a stream (marking it deleted, not erasing it); a message that is already
 * gone counts as deleted. The server reports a failed delete with one API code whatever the reason,
 * so "already gone" is decided by looking the message up, not by the words of the error.
 */
export async function deleteStreamMessage(jsm: JetStreamManager, stream: string, seq: number): Promise<void> {
  try {
    await jsm.streams.deleteMessage(stream, seq, false);
  } catch (err) {
    // getMessage resolves null for JetStream's NoMessageFound code; if it cannot tell, the delete's error stands.
    const still = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
    if (still !== null) throw err;
  }
}
