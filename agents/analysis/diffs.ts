import { parsePatch } from 'diff';

/** Unified diffs as data: which files they touch, how many lines, and whether their paths stay in the workspace. */
export type FileChange = {
  path: string;
  status: 'added' | 'deleted' | 'modified' | 'renamed';
  added: number;
  removed: number;
  /** Lines of the new text that were added, or next to which lines were removed. */
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
    // Lines of the new text that changed: added lines, and the place where lines were removed (context excluded).
    const changed: Array<[number, number]> = [];
    for (const h of p.hunks) {
      let line = h.newStart;
      for (const l of h.lines) {
        if (l.startsWith('+')) {
          added++;
          changed.push([line, line]);
          line++;
        } else if (l.startsWith('-')) {
          removed++;
          changed.push([line, line]);
        } else if (!l.startsWith('\\')) {
          line++;
        }
      }
    }
    files.push({
      path,
      status: !oldName ? 'added' : !newName ? 'deleted' : oldName !== newName ? 'renamed' : 'modified',
      added,
      removed,
      newRanges: changed,
    });
  }
  return files.length > 0 ? { ok: true, files } : { ok: false, problem: 'no file changes (no hunks) in the diff' };
}
