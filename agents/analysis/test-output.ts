/**
 * Failing tests out of a test runner's output: node:test (spec and TAP reporters) and pytest
 * (`-rf --tb=line`). Paths the runner prints (absolute, file:// URLs) are mapped back to workspace
 * paths by suffix, so nothing outside the workspace leaks into a finding.
 */
export type TestFailure = { file: string; line: number; name: string; message: string };
export type TestReport = { format: 'node-spec' | 'tap' | 'pytest' | 'unknown'; failures: TestFailure[]; passed?: number; failed?: number };

/** A printed path as a workspace path ('' when it is not one of `files`). */
export function toWorkspacePath(printed: string, files: readonly string[]): string {
  const p = printed.replace(/^file:\/\//, '').replace(/^\.\//, '');
  if (files.includes(p)) return p;
  let best = '';
  for (const f of files) if (p.endsWith(`/${f}`) && f.length > best.length) best = f;
  return best;
}

const count = (output: string, re: RegExp) => {
  const m = output.match(re);
  return m ? Number(m[1]) : undefined;
};

function nodeSpec(output: string, files: readonly string[]): TestReport {
  const lines = output.split('\n');
  const failures: TestFailure[] = [];
  // After "✖ failing tests:" each failure is "test at <file>:<line>:<col>", "✖ <name> (<ms>)", then the error.
  const start = lines.findIndex((l) => l.trim() === '✖ failing tests:');
  for (let i = start + 1; start >= 0 && i < lines.length; i++) {
    const at = lines[i].match(/^test at (.+):(\d+):\d+$/);
    if (!at) continue;
    const name = (lines[i + 1] ?? '').replace(/^\s*✖\s*/, '').replace(/\s*\([\d.]+m?s\)\s*$/, '');
    const message = (lines[i + 2] ?? '').trim();
    failures.push({ file: toWorkspacePath(at[1], files), line: Number(at[2]), name, message });
  }
  return { format: 'node-spec', failures, passed: count(output, /^ℹ pass (\d+)$/m), failed: count(output, /^ℹ fail (\d+)$/m) };
}

function tap(output: string, files: readonly string[]): TestReport {
  const lines = output.split('\n');
  const failures: TestFailure[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = lines[i].match(/^(\s*)not ok \d+ - (.+?)(\s+#.*)?$/);
    if (!m) continue;
    let file = '';
    let line = 0;
    let message = '';
    let parentOnly = false;
    for (let j = i + 1; j < lines.length && !/^\s*\.\.\.\s*$/.test(lines[j]); j++) {
      const loc = lines[j].match(/^\s*location: '(.+):(\d+):\d+'$/);
      if (loc) [file, line] = [toWorkspacePath(loc[1], files), Number(loc[2])];
      if (/^\s*failureType: 'subtestsFailed'/.test(lines[j])) parentOnly = true;
      const err = lines[j].match(/^\s*error: (.*)$/);
      if (err) message = /^[|>]-?$/.test(err[1].trim()) ? (lines[j + 1] ?? '').trim() : err[1].replace(/^'|'$/g, '');
    }
    if (!parentOnly) failures.push({ file, line, name: m[2], message });
  }
  return { format: 'tap', failures, passed: count(output, /^# pass (\d+)$/m), failed: count(output, /^# fail (\d+)$/m) };
}

function pytest(output: string, files: readonly string[]): TestReport {
  const failures: TestFailure[] = [];
  const locations = [...output.matchAll(/^(\S+\.py):(\d+): (.*)$/gm)].map((m) => ({
    file: toWorkspacePath(m[1], files),
    line: Number(m[2]),
    message: m[3],
  }));
  for (const m of output.matchAll(/^FAILED (\S+?\.py)::(\S+)(?: - (.*))?$/gm)) {
    const file = toWorkspacePath(m[1], files);
    const at = locations.findIndex((l) => l.file === file);
    const loc = at >= 0 ? locations.splice(at, 1)[0] : undefined;
    failures.push({ file, line: loc?.line ?? 0, name: m[2], message: loc?.message ?? m[3] ?? '' });
  }
  return { format: 'pytest', failures, passed: count(output, /(\d+) passed/), failed: count(output, /(\d+) failed/) };
}

export function parseTestOutput(output: string, files: readonly string[]): TestReport {
  if (/^ℹ (tests|pass|fail) \d+$/m.test(output)) return nodeSpec(output, files);
  if (/^TAP version|^\s*(not )?ok \d+ - /m.test(output)) return tap(output, files);
  if (/^=+ .*(passed|failed|error).* in [\d.]+s/m.test(output) || /^FAILED \S+::/m.test(output)) return pytest(output, files);
  return { format: 'unknown', failures: [] };
}
