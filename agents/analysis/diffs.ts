import { parsePatch } from 'diff';

/** Unified diffs as data: which files they touch, how many lines, and whether their paths stay in the workspace. */
export type FileChange = {
  path: string;
  status: 'added' | 'deleted' | 'modified' | 'renamed';
  added: number;
  removed: number;
  newRanges: Array<[number, number]>;
};
export type ParsedDiff = { ok: true; files: FileChange[] } | { ok: false; problem: string };

function clean(name: string | undefined): string | undefined {
  if (!name || name === '/dev/null') return undefined;
  return name.replace(/^[ab]\//, '').replace(/\t.*$/, '');
}
/** Workspace-relative, no `..`, no absolute path, no NUL: the gate checks this again; here it gives the clearer error. */
export function isSafeRelativePath(p: string): boolean {
  return p.length > 0 && !p.startsWith('/') && !p.includes('\u0000') && !/^[A-Za-z]:/.test(p) && !p.split(/[\\/]/).includes('..');
}

export function parseUnifiedDiff(text: string): ParsedDiff {
  let parsed: ReturnType<typeof parsePatch>;
  try {
    parsed = parsePatch(text);
  } catch (err) {
    return { ok: false, problem: `not a unified diff (${(err as Error).message})` };
  }
  const files: FileChange[] = [];
  for (const p of parsed) {
    if (p.hunks.length === 0) continue;
    const oldName = clean(p.oldFileName);
    const newName = clean(p.newFileName);
    const path = newName ?? oldName;
    if (!path) return { ok: false, problem: 'a file section names no file' };
    for (const name of [oldName, newName])
      if (name && !isSafeRelativePath(name)) return { ok: false, problem: `path ${JSON.stringify(name)} leaves the workspace` };
    let added = 0;
    let removed = 0;
    for (const h of p.hunks) for (const l of h.lines) l.startsWith('+') ? added++ : l.startsWith('-') ? removed++ : 0;
    files.push({
      path,
      status: !oldName ? 'added' : !newName ? 'deleted' : oldName !== newName ? 'renamed' : 'modified',
      added,
      removed,
      newRanges: p.hunks.map((h) => [h.newStart, h.newStart + Math.max(h.newLines, 1) - 1]),
    });
  }
  return files.length > 0 ? { ok: true, files } : { ok: false, problem: 'no file changes (no hunks) in the diff' };
}
