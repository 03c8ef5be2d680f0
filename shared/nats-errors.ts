import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';

// NATS failures are recognised by the client's typed errors and JetStream's API codes, never by
// the words in a message (they change between client and server versions).

/** The JetStream API answered that the stream or consumer asked for does not exist. */
export function isStreamOrConsumerMissing(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamNotFound || err.code === JetStreamApiCodes.ConsumerNotFound)
  );
}

/**
 * Nobody answered a request: no subscriber, or no JetStream API (the JetStream client reports that
 * as "not enabled", with the request's no-responders error as its cause, so causes are followed).
 */
export function isNoResponders(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof errors.NoRespondersError) return true;
    if (e instanceof errors.RequestError && e.isNoResponders()) return true;
  }
  return false;
}

/**
 * The JetStream API answered that JetStream is not enabled for the account. The client wraps that
 * answer in its (unexported) "not enabled" error with the API error as the cause, so causes are followed.
 */
export function isJetStreamNotEnabledForAccount(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.JetStreamNotEnabledForAccount) return true;
  }
  return false;
}

/**
 * What a hub reload causes for a moment: the login refused until the new accounts are read, the
 * JetStream API without responders or answering that JetStream is not enabled for the account (the
 * account is being rebuilt from the new accounts file), a request or handshake that timed out. Worth
 * a brief retry.
 */
export function isBriefHubOutage(err: unknown): boolean {
  return (
    err instanceof errors.AuthorizationError ||
    err instanceof errors.TimeoutError ||
    isJetStreamNotEnabledForAccount(err) ||
    isNoResponders(err)
  );
}

/**
 * The hub cannot be reached at all right now: the connection is closed or reconnecting, or a request
 * found nobody or timed out. A request that failed this way is the dependency's fault, not the caller's.
 */
export function isHubUnavailable(err: unknown): boolean {
  return (
    isBriefHubOutage(err) ||
    err instanceof errors.ClosedConnectionError ||
    err instanceof errors.ConnectionError ||
    err instanceof errors.DrainingConnectionError
  );
}
