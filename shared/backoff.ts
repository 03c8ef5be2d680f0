import { ExponentialBackoff, noJitterGenerator, type GeneratorFn, type IBackoff } from 'cockatiel';

/** Milliseconds to wait before retry number `attempt` (1 = the first retry). */
export type DelayForAttempt = (attempt: number) => number;

/**
 * Capped exponential delays from cockatiel's ExponentialBackoff, looked up by attempt number, for
 * retries that happen by redelivery (a NATS nak carries the delay) rather than in a loop, so the
 * caller keeps no backoff state between attempts. `equal` jitter waits half the step plus a random
 * part of the other half: retries spread out, but never come sooner than half the step. The RNG is
 * injectable so tests are deterministic.
 */
export function exponentialDelays(opts: {
  initialMs: number;
  maxMs: number;
  jitter: 'equal' | 'none';
  random?: () => number;
}): DelayForAttempt {
  const random = opts.random ?? Math.random;
  const generator: GeneratorFn<number> =
    opts.jitter === 'none'
      ? noJitterGenerator
      : (state, options) => {
          const [step, next] = noJitterGenerator(state, options);
          return [step / 2 + random() * (step / 2), next];
        };
  const backoff = new ExponentialBackoff({ generator, initialDelay: opts.initialMs, maxDelay: opts.maxMs });
  // Past this many doublings every step is capped; walking further would only spend time.
  const maxSteps = Math.max(1, Math.ceil(Math.log2(opts.maxMs / opts.initialMs)) + 1);
  return (attempt) => {
    let b: IBackoff<unknown> = backoff.next();
    for (let i = 1; i < Math.min(Math.max(1, attempt), maxSteps); i++) b = b.next(undefined);
    return Math.round(b.duration);
  };
}
