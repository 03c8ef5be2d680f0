import { ExponentialBackoff, IterableBackoff, noJitterGenerator, type GeneratorFn, type IBackoff, type IBackoffFactory } from 'cockatiel';

/** Milliseconds to wait before retry number `attempt` (1 = the first retry). */
export type DelayForAttempt = (attempt: number) => number;

// Retries that happen by redelivery (a NATS nak or a re-send carries the delay) rather than in a
// loop keep no backoff state between attempts, so the delay is looked up by attempt number in one
// of cockatiel's backoffs. `steps` is where the backoff stops changing; walking further would only
// spend time on a message redelivered for hours.
function byAttempt(backoff: IBackoffFactory<unknown>, steps: number): DelayForAttempt {
  return (attempt) => {
    let b: IBackoff<unknown> = backoff.next(undefined);
    for (let i = 1; i < Math.min(Math.max(1, attempt), steps); i++) b = b.next(undefined);
    return Math.round(b.duration);
  };
}

/**
 * Capped exponential delays (cockatiel's ExponentialBackoff, doubling from `initialMs`). `equal`
 * jitter waits half the step plus a random part of the other half: retries spread out, but never
 * come sooner than half the step. The RNG is injectable so tests are deterministic.
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
  const steps = Math.max(1, Math.ceil(Math.log2(opts.maxMs / opts.initialMs)) + 1);
  return byAttempt(new ExponentialBackoff({ generator, initialDelay: opts.initialMs, maxDelay: opts.maxMs }), steps);
}

/** Delays that grow by `stepMs` per attempt up to `maxMs`, then stay there (cockatiel's IterableBackoff). */
export function linearDelays(opts: { stepMs: number; maxMs: number }): DelayForAttempt {
  const steps = Math.max(1, Math.ceil(opts.maxMs / opts.stepMs));
  const schedule = Array.from({ length: steps }, (_, i) => Math.min(opts.maxMs, opts.stepMs * (i + 1)));
  return byAttempt(new IterableBackoff(schedule), steps);
}
