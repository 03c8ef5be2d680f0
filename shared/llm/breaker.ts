import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  SamplingBreaker,
  circuitBreaker,
  handleWhen,
  type IBreaker,
} from 'cockatiel';
import { decideFailover } from './failover.ts';

export type BreakerState = 'closed' | 'open' | 'half_open' | 'isolated';

export type BreakerOptions = {
  /** Open after this many failures in a row. */
  consecutiveFailures?: number;
  /** Also open when this share of calls failed within `windowMs` (at least `minimumRps` calls/s). */
  failureRate?: number;
  windowMs?: number;
  minimumRps?: number;
  /** Let one probe through this long after opening. */
  halfOpenAfterMs?: number;
};

export const DEFAULT_BREAKER: Required<BreakerOptions> = {
  consecutiveFailures: 5,
  failureRate: 0.5,
  windowMs: 10_000,
  minimumRps: 2,
  halfOpenAfterMs: 5_000,
};

/** Opens when either library breaker would: a burst of consecutive failures or a bad failure rate. */
class EitherBreaker implements IBreaker {
  readonly parts: IBreaker[];
  constructor(parts: IBreaker[]) {
    this.parts = parts;
  }
  get state(): unknown {
    return this.parts.map((p) => p.state);
  }
  set state(v: unknown) {
    for (const [i, s] of (v as unknown[]).entries()) this.parts[i].state = s;
  }
  success(s: CircuitState): void {
    for (const p of this.parts) p.success(s);
  }
  failure(s: CircuitState): boolean {
    let open = false;
    for (const p of this.parts) open = p.failure(s) || open;
    return open;
  }
}

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'isolated',
};

export type ProviderBreaker = {
  state(): BreakerState;
  /**
   * Runs `fn` unless the circuit is open. While a half-open probe is in flight, other calls are
   * refused too (cockatiel would queue them behind the probe, which could take a whole timeout).
   * Throws cockatiel's BrokenCircuitError when refused.
   */
  execute<T>(fn: () => Promise<T>): Promise<T>;
  /** Counts a failure that happened after `execute` returned (a stream breaking mid-way). */
  recordFailure(err: unknown): void;
  dispose(): void;
};

/**
 * A cockatiel circuit breaker counting only failures that fail over (a caller's bad request says
 * nothing about the provider's health). cockatiel reads Date.now() itself, so tests that need to
 * move its clock use node:test's mock timers for Date.
 */
export function createProviderBreaker(
  opts: BreakerOptions,
  onStateChange: (from: BreakerState, to: BreakerState) => void,
): ProviderBreaker {
  const o = { ...DEFAULT_BREAKER, ...opts };
  const policy = circuitBreaker(
    handleWhen((err) => decideFailover(err).failover),
    {
      halfOpenAfter: o.halfOpenAfterMs,
      breaker: new EitherBreaker([
        new ConsecutiveBreaker(o.consecutiveFailures),
        new SamplingBreaker({ threshold: o.failureRate, duration: o.windowMs, minimumRps: o.minimumRps }),
      ]),
    },
  );
  let last: BreakerState = 'closed';
  const sub = policy.onStateChange((s) => {
    const next = STATE_NAMES[s];
    const prev = last;
    last = next;
    if (prev !== next) onStateChange(prev, next);
  });
  return {
    state: () => STATE_NAMES[policy.state],
    execute(fn) {
      if (policy.state === CircuitState.HalfOpen) return Promise.reject(new BrokenCircuitError());
      return policy.execute(fn);
    },
    recordFailure(err) {
      if (policy.state !== CircuitState.Closed) return;
      policy.execute(() => Promise.reject(err)).catch(() => undefined);
    },
    dispose: () => sub.dispose(),
  };
}

export function isBreakerRefusal(err: unknown): boolean {
  return err instanceof BrokenCircuitError;
}
