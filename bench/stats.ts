/**
 * Pure statistics and formatting helpers for the benches: no I/O, so the bench files keep to
 * processes, load and reporting.
 */

/** Nearest-rank percentile of an ascending array: always one of the measured samples, NaN if none. */
export function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

/** Every sample of several ascending arrays, as one ascending array. */
export function pooled(runs: number[][]): number[] {
  return runs.flat().sort((a, b) => a - b);
}

/**
 * Quantile q (0..1) of a handful of values (one per round), interpolated between the two nearest:
 * with ten rounds, nearest-rank would jump from one round's value to the next. NaN values (a round
 * with no successful request on one side) are left out.
 */
export function quantile(values: number[], q: number): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const at = q * (v.length - 1);
  const lo = Math.floor(at);
  return v[lo] + (v[Math.min(lo + 1, v.length - 1)] - v[lo]) * (at - lo);
}

export function median(values: number[]): number {
  return quantile(values, 0.5);
}

/** Milliseconds, two decimals, right-aligned in `width`. */
export function ms(v: number, width = 7): string {
  return v.toFixed(2).padStart(width);
}

/** What the statistics need of one slice of load on one path. */
export type Slice = { latencies: number[]; errors: number; busy: number };

/** One path's slices of a scenario, pooled. */
export function summarize(slices: Slice[], concurrency: number) {
  const samples = pooled(slices.map((s) => s.latencies));
  const errors = slices.reduce((n, s) => n + s.errors, 0);
  const busy = slices.reduce((n, s) => n + s.busy, 0);
  // N closed loops sustain N × requests / worker-seconds spent sending: pauses between slices and
  // staggered resumes do not count as time the path was slow.
  return {
    samples,
    p50: pct(samples, 50),
    p99: pct(samples, 99),
    errors,
    requests: samples.length + errors,
    rps: (concurrency * samples.length) / busy,
  };
}

/** Per round, p50 of `a` minus p50 of `b` in that same round (slices in round order). */
export function pairedP50(a: Slice[], b: Slice[]): number[] {
  return a.map((s, i) => pct(s.latencies, 50) - pct(b[i].latencies, 50));
}
