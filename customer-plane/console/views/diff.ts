import { html, type SafeHtml } from '../html.ts';

/** Each line's class, from its first character (a closed list; the line itself is only ever text). */
function lineClass(line: string, inHeader: boolean): string {
  if (inHeader && (line.startsWith('--- ') || line.startsWith('+++ '))) return 'file';
  if (line.startsWith('@@')) return 'hunk';
  if (line.startsWith('+')) return 'add';
  if (line.startsWith('-')) return 'del';
  if (line.startsWith('\\')) return 'note';
  if (line.startsWith(' ')) return 'ctx';
  return 'meta';
}

/** Diffs longer than this are cut (the rest is said, not shown): a page stays loadable. */
export const MAX_DIFF_LINES = 5000;

/**
 * A unified diff as a page shows it: one line per row, additions and deletions marked by class, every
 * line escaped as text (a diff of a file holding `<script>` shows `<script>`). Hidden characters
 * (bidirectional overrides, zero-width spaces) are made visible, so a line cannot look like another.
 */
export function renderDiff(diff: string): SafeHtml {
  const lines = (diff.endsWith('\n') ? diff.slice(0, -1) : diff).split('\n');
  const shown = lines.slice(0, MAX_DIFF_LINES);
  let inHeader = true;
  const rows = shown.map((line) => {
    const cls = lineClass(line, inHeader);
    if (cls === 'hunk') inHeader = false;
    else if (cls === 'meta' || cls === 'file') inHeader = true;
    // Each line is a block: no newline between them, or the <pre> would show a blank line after each.
    return html`<span class="${cls}">${line}</span>`;
  });
  const cut = lines.length - shown.length;
  return html`<pre class="diff">${rows}</pre>${cut > 0 ? html`<p class="note">${cut} more lines not shown (see <code>npm run runs -- show</code>).</p>` : ''}`;
}
