/** Text a hostile repository or model writes: escape sequences, CR and backspace, BEL, CSI, a bidi override, a newline, DEL. */
export const HOSTILE = 'x\u001b[2J\u001b]0;pwned\u0007\r\b\u009b1m\u202e\n\u007fy';

/** The same, as a person must see it: on one line, every control readable. */
export const SHOWN = 'x\\x1b[2J\\x1b]0;pwned\\x07\\x0d\\x08\\x9b1m\\u202e\\x0a\\x7fy';

/** The characters in `out` a terminal would act on, other than the line breaks (and a diff's tabs) output keeps. */
export function rawControls(out: string): string[] {
  return [...out].filter((ch) => {
    const c = ch.codePointAt(0)!;
    return (
      (c < 0x20 && ch !== '\n' && ch !== '\t') || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)
    );
  });
}
