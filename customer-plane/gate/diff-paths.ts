/**
 * The files a unified diff (as `git diff` or `diff -u` prints it) would touch, read the way `git apply`
 * reads them (-p1: the first path component, `a/` or `b/`, is dropped). The gate checks every one of
 * them before the diff is applied, so a patch cannot reach where write_file could not.
 */
export type DiffTargets = { paths: string[]; deletes: boolean };

export function diffTargets(diff: string): DiffTargets | undefined {
  const paths = new Set<string>();
  let deletes = false;
  let headers = 0;
  const lines = diff.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const hunk = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(line);
    if (hunk) {
      // Skip the hunk body by its line counts: a removed line "-- x" reads "--- x" and is not a header.
      let oldLeft = hunk[1] === undefined ? 1 : Number(hunk[1]);
      let newLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      while ((oldLeft > 0 || newLeft > 0) && i + 1 < lines.length) {
        const body = lines[++i];
        if (body.startsWith('\\')) continue; // "\ No newline at end of file"
        if (body.startsWith('-')) oldLeft -= 1;
        else if (body.startsWith('+')) newLeft -= 1;
        else (oldLeft -= 1), (newLeft -= 1);
      }
      continue;
    }
    if (line.startsWith('--- ') || line.startsWith('+++ ')) {
      headers += 1;
      const raw = line.slice(4).split('\t')[0].trimEnd();
      const path = stripPrefix(unquote(raw));
      if (path === undefined) {
        if (line.startsWith('+++ ')) deletes = true; // +++ /dev/null: the file is deleted
        continue;
      }
      paths.add(path);
    } else if (line.startsWith('diff --git ')) {
      // A file with no ---/+++ lines (an empty file created or deleted, a mode change, a binary patch) is
      // named only here, and git apply still creates, deletes or changes it.
      headers += 1;
      for (const name of gitHeaderNames(line.slice('diff --git '.length))) paths.add(name);
    } else if (/^(rename|copy) (from|to) /.test(line)) {
      headers += 1;
      paths.add(unquote(line.replace(/^(rename|copy) (from|to) /, '')));
    } else if (line.startsWith('deleted file mode')) {
      deletes = true;
    }
  }
  if (headers === 0) return undefined;
  return { paths: [...paths], deletes };
}

/**
 * The name on a `diff --git a/NAME b/NAME` line, by git's own rule: the split (at any space, names may hold
 * spaces, either side may be quoted) where both sides name the same file. Where no split does, git takes
 * the names from the rename/copy or ---/+++ lines, which are read on their own, or refuses the patch.
 */
function gitHeaderNames(rest: string): string[] {
  const names: string[] = [];
  for (let k = rest.indexOf(' '); k >= 0; k = rest.indexOf(' ', k + 1)) {
    const left = headerName(rest.slice(0, k));
    if (left !== undefined && left === headerName(rest.slice(k + 1))) names.push(left);
  }
  return names;
}

function headerName(token: string): string | undefined {
  if (token.startsWith('"') && (token.length < 2 || !token.endsWith('"'))) return undefined;
  return stripPrefix(unquote(token));
}

function stripPrefix(p: string): string | undefined {
  if (p === '/dev/null') return undefined;
  const slash = p.indexOf('/');
  // git apply -p1 drops the first component; a path without one is taken as it is.
  return slash > 0 ? p.slice(slash + 1) : p;
}

/** git's C-style quoting of unusual path names ("a/tab\there"); a name git could not unquote is left as written. */
function unquote(s: string): string {
  if (!s.startsWith('"') || !s.endsWith('"') || s.length < 2) return s;
  const body = s.slice(1, -1);
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const n = body[++i];
    const simple: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };
    if (n !== undefined && n in simple) bytes.push(simple[n]);
    else if (n !== undefined && /[0-7]/.test(n)) {
      bytes.push(Number.parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else return s; // an escape git does not define: git cannot unquote it either and reads the name as written
  }
  return Buffer.from(bytes).toString('utf8');
}
