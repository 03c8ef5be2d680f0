/**
 * Repository text (paths, argv, diffs, messages and summaries a model wrote) as the CLIs print it.
 * A terminal acts on some characters instead of showing them: C0 controls and DEL (ESC starts a
 * sequence that can clear the screen, set the title or rewrite what was printed; CR and backspace
 * overwrite it) and C1 controls (U+009B is CSI, ESC [ in one character). Bidi overrides and isolates
 * reorder what is shown, so a diff a person approves could read differently from what it does
 * ("Trojan Source"). Each is shown as an escape a person can read: \xNN, or \uNNNN for bidi controls.
 */
export function visible(s: string, keepNewlines = false): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (keepNewlines && (ch === '\n' || ch === '\t')) out += ch;
    else if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0)) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) out += `\\u${c.toString(16)}`;
    else out += ch;
  }
  return out;
}
