/**
 * Fault injection shared by the FAKE OpenAI and FAKE Anthropic servers. A fault applies to every
 * request, to the next N requests, or for a time window, so tests and the bench can script an
 * outage ("fail everything for 10 s") without touching the server's code paths.
 */

export type Fault =
  /** Answer with this HTTP status (and the provider's error body unless `body` is given). */
  | { status: number; body?: unknown; retryAfter?: number }
  /**
   * Delay the response headers by this long, then answer normally. With `spreadMs`, the k-th
   * delayed request waits latencyMs + spreadMs·frac(k·φ) instead: evenly spread over the range and
   * deterministic, so two runs of the same number of requests see the same set of delays.
   */
  | { latencyMs: number; spreadMs?: number }
  /** Accept the request and never answer; only the client's timeout or close() ends it. */
  | { hang: true }
  /** Stream this many content chunks, then destroy the socket (non-stream: destroy before replying). */
  | { resetAfterChunks: number }
  /**
   * Stream this many events (at most all but the last), then send nothing more and keep the
   * socket open until the client goes away (non-stream: the same as a hang). A provider still
   * generating when the caller hangs up.
   */
  | { stallAfterChunks: number }
  /** Answer 200 with a body that is not JSON. */
  | { nonJson: true };

export type FaultScope = {
  /** Apply to the next N requests only. */
  times?: number;
  /** Apply for this many milliseconds from now. */
  forMs?: number;
};

export type FaultController = {
  set(fault: Fault | null, scope?: FaultScope): void;
  /** The fault for the request arriving now (consumes one of `times`). */
  take(): Fault | null;
};

export function createFaultController(clock: () => number = Date.now): FaultController {
  let current: Fault | null = null;
  let remaining = Infinity;
  let until = Infinity;
  return {
    set(fault, scope = {}) {
      current = fault;
      remaining = scope.times ?? Infinity;
      until = scope.forMs === undefined ? Infinity : clock() + scope.forMs;
    },
    take() {
      if (!current) return null;
      if (remaining <= 0 || clock() >= until) {
        current = null;
        return null;
      }
      remaining -= 1;
      return current;
    },
  };
}

export type FakeRequestRecord = {
  /** Model name as sent by the client. */
  model: string;
  /** Request body size in bytes; the body itself is never kept. */
  bytes: number;
  stream: boolean;
  /** Name of the fault injected into this request, if any. */
  fault: string | null;
  at: number;
  /** The id sent back in the request-id header. */
  requestId: string;
};

export function faultName(f: Fault | null): string | null {
  if (!f) return null;
  if ('status' in f) return `status:${f.status}`;
  if ('latencyMs' in f) return 'latency';
  if ('hang' in f) return 'hang';
  if ('resetAfterChunks' in f) return 'reset';
  if ('stallAfterChunks' in f) return 'stall';
  return 'nonJson';
}
