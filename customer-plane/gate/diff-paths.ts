/**
 * The files a unified diff (as `git diff` or `diff -u` prints it) would touch, read the way `git apply`
 * reads them (-p1: the first path component, `a/` or `b/`, is dropped). The gate checks every one of
 * them before the diff is applied, so a patch cannot reach where write_file could not.
 *
 * Names are read by git's own rules (apply.c: git_header_name, find_name; quote.c: unquote_c_style), on
 * the diff's UTF-8 bytes held one byte per char, so lengths and octal escapes count bytes as git does.
 */
export type DiffTargets = { paths: string[]; deletes: boolean };

export function diffTargets(diff: string): DiffTargets | undefined {
  const text = Buffer.from(diff, 'utf8').toString('latin1');
  const paths = new Set<string>();
  const add = (name: string) => paths.add(Buffer.from(name, 'latin1').toString('utf8'));
  let deletes = false;
  let headers = 0;
  const lines = text.split('\n');
  const starts: number[] = [];
  for (let i = 0, at = 0; i < lines.length; at += lines[i].length + 1, i++) starts.push(at);
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
      const quoted = cUnquote(text, starts[i] + 4);
      const path = stripPrefix(
        quoted
          ? quoted.name
          : line
              .slice(4)
              .split('\t')[0]
              .replace(/[ \r]+$/, ''),
      );
      if (path === undefined) {
        if (line.startsWith('+++ ')) deletes = true; // +++ /dev/null: the file is deleted
        continue;
      }
      add(path);
    } else if (line.startsWith('diff --git ')) {
      // A file with no ---/+++ lines (an empty file created or deleted, a mode change, a binary patch) is
      // named only here, and git apply still creates, deletes or changes it.
      headers += 1;
      const name = gitHeaderName(text, starts[i] + 'diff --git '.length, starts[i] + line.length + 1);
      if (name !== undefined) add(name);
    } else if (/^(rename|copy) (from|to) /.test(line)) {
      headers += 1;
      const from = starts[i] + line.indexOf(' ', line.indexOf(' ') + 1) + 1;
      add(cUnquote(text, from)?.name ?? text.slice(from, starts[i] + line.length)); // -p0: taken whole
    } else if (line.startsWith('deleted file mode')) {
      deletes = true;
    }
  }
  if (headers === 0) return undefined;
  return { paths: [...paths], deletes };
}

const isGitSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** What C reads of a name: it ends at the first NUL. */
const cString = (s: string) => s.split('\0')[0];

/** git's skip_tree_prefix for -p1: what follows the first slash; no name without one or when the name starts with it. */
function skipTreePrefix(s: string): string | undefined {
  const slash = s.indexOf('/');
  return slash > 0 ? s.slice(slash + 1) : undefined;
}

/**
 * The name on a `diff --git a/NAME b/NAME` line, as git's git_header_name finds it: both sides must name
 * the same file, split at a space or tab; after a quoted first name any run of spaces or tabs may follow
 * and a quoted second name ends at its closing quote. Where git finds no name it takes the names from the
 * rename/copy or ---/+++ lines, which are read on their own, or refuses the patch.
 * `end` is just past the line's newline: git's comparisons include it.
 */
function gitHeaderName(text: string, from: number, end: number): string | undefined {
  if (text[from] === '"') {
    const first = cUnquote(text, from);
    const name = first && skipTreePrefix(first.name);
    if (!first || name === undefined) return undefined;
    let second = first.end;
    while (second < end && isGitSpace(text[second])) second++;
    if (second >= end) return undefined;
    if (text[second] === '"') {
      const other = cUnquote(text, second);
      const otherName = other && skipTreePrefix(other.name);
      return otherName !== undefined && cString(otherName) === cString(name) ? cString(name) : undefined;
    }
    return skipTreePrefix(text.slice(second, end)) === name ? cString(name) : undefined;
  }
  const name = skipTreePrefix(text.slice(from, end));
  if (name === undefined) return undefined;
  // The first name is unquoted, so a quote starts the second name, which must begin the line's rest.
  const quote = name.indexOf('"');
  if (quote >= 0) {
    const other = cUnquote(name, quote);
    const np = other && skipTreePrefix(other.name);
    if (np === undefined) return undefined;
    const same = np.length < quote && cString(name.slice(0, np.length)) === cString(np) && isGitSpace(name[np.length]);
    return same ? cString(np) : undefined;
  }
  // Both unquoted: the name is accepted only if it shows up twice, exactly the same, around a space or tab.
  const lineEnd = cString(name).indexOf('\n'); // git's strchr: a NUL before the newline means no line
  if (lineEnd < 0) return undefined;
  for (let len = 0; len < lineEnd; len++) {
    if (name[len] !== ' ' && name[len] !== '\t') continue;
    const second = skipTreePrefix(name.slice(len + 1, lineEnd));
    if (second === undefined) return undefined; // git gives up at the first separator whose rest has no directory to strip
    if (second === name.slice(0, len)) {
      return second;
    }
  }
  return undefined;
}

function stripPrefix(p: string): string | undefined {
  if (p === '/dev/null') return undefined;
  const slash = p.indexOf('/');
  // git apply -p1 drops the first component; a path without one is taken as it is (checked, never skipped).
  return slash > 0 ? p.slice(slash + 1) : p;
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '"': '"', '\\': '\\' };

/**
 * git's unquote_c_style: a name in double quotes starting at `from`, read up to its closing quote (which
 * may be on a later line: git reads the patch as one buffer), and the index just past that quote. An
 * escape git does not define, or no closing quote, is no quoted name: git then reads the text as written.
 */
function cUnquote(text: string, from: number): { name: string; end: number } | undefined {
  if (text[from] !== '"') return undefined;
  let name = '';
  for (let i = from + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '"') return { name, end: i + 1 };
    if (c === '\0') return undefined; // git's C string ends here
    if (c !== '\\') {
      name += c;
      continue;
    }
    const n = text[++i];
    if (n in ESCAPES) name += ESCAPES[n];
    else if (/^[0-3][0-7][0-7]$/.test(text.slice(i, i + 3))) {
      name += String.fromCharCode(Number.parseInt(text.slice(i, i + 3), 8));
      i += 2;
    } else return undefined;
  }
  return undefined;
}
