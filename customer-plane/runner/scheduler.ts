/**
 * The DAG scheduler's decisions, as a pure function of the steps' states (the executor in
 * run-workflow.ts acts on them). A step starts when every step it needs succeeded; a step that needs
 * a failed or skipped one is skipped. Steps that only read run in parallel (bounded); a step that can
 * change the workspace runs alone, so each step's change is its own diff, applied in order.
 */
export type SchedState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';
export type SchedStep = { key: string; needs: readonly string[]; writer: boolean; state: SchedState };

/** Problems that make a template unrunnable: duplicate step ids, needs that name no step, cycles. */
export function templateProblems(steps: ReadonlyArray<{ key: string; needs: readonly string[] }>): string[] {
  const problems: string[] = [];
  const keys = new Set<string>();
  for (const s of steps) {
    if (keys.has(s.key)) problems.push(`duplicate step id ${s.key}`);
    keys.add(s.key);
  }
  for (const s of steps) for (const n of s.needs) if (!keys.has(n)) problems.push(`step ${s.key} needs unknown step ${n}`);
  if (problems.length) return problems;
  // Kahn's algorithm: whatever cannot be ordered is on a cycle.
  const indegree = new Map(steps.map((s) => [s.key, s.needs.length]));
  const queue = steps.filter((s) => s.needs.length === 0).map((s) => s.key);
  let ordered = 0;
  while (queue.length) {
    const k = queue.shift()!;
    ordered += 1;
    for (const s of steps) {
      if (!s.needs.includes(k)) continue;
      const d = indegree.get(s.key)! - 1;
      indegree.set(s.key, d);
      if (d === 0) queue.push(s.key);
    }
  }
  if (ordered < steps.length) problems.push('the steps form a cycle');
  return problems;
}

/** Which pending steps to skip now, and which to start (in template order), given what is running. */
export function nextActions(steps: readonly SchedStep[], maxParallel: number): { skip: string[]; start: string[] } {
  const state = new Map(steps.map((s) => [s.key, s.state]));
  const skip: string[] = [];
  // Skips cascade: a step skipped now makes its dependents skippable in the same pass.
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of steps) {
      if (state.get(s.key) !== 'pending') continue;
      if (s.needs.some((n) => state.get(n) === 'failed' || state.get(n) === 'skipped')) {
        state.set(s.key, 'skipped');
        skip.push(s.key);
        changed = true;
      }
    }
  }
  const running = steps.filter((s) => state.get(s.key) === 'running');
  let writerRunning = running.some((s) => s.writer);
  let slots = maxParallel - running.length;
  const start: string[] = [];
  for (const s of steps) {
    if (slots <= 0 || writerRunning) break;
    if (state.get(s.key) !== 'pending' || !s.needs.every((n) => state.get(n) === 'succeeded')) continue;
    if (s.writer) {
      // A writer waits until nothing else runs, and nothing after it in template order jumps ahead of it.
      if (running.length > 0 || start.length > 0) break;
      writerRunning = true;
    }
    start.push(s.key);
    slots -= 1;
  }
  return { skip, start };
}
