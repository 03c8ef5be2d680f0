/**
 * One request id follows a call end to end: the HTTP API takes it from the caller when it is sane
 * (or makes one) and echoes it; a dispatch carries it down the link in a NATS header; every log line
 * on the way has it as `reqId`. One concept, so one name, with its spelling per transport.
 */
export const REQUEST_ID_HEADER = {
  /** What callers send and the API echoes. */
  http: 'x-request-id',
  /** What a dispatch carries across NATS, from the control plane to the customer plane's runner. */
  nats: 'Ap-Request-Id',
} as const;

/** What a request id from outside may look like (short and plain); anything else is replaced or dropped. */
export const REQUEST_ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** The id as given when it is sane, else undefined. */
export function acceptedRequestId(given: unknown): string | undefined {
  return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : undefined;
}
