/**
 * Incremental server-sent-events splitting: text pieces in (split anywhere, as they come off the
 * socket), complete events' `data` payloads out. Only what OpenAI-style streams use is kept:
 * `data:` lines (several are joined with \n); `event:`, `id:`, `retry:` and comments are dropped.
 * An unfinished event at the end of the stream is discarded, as the SSE spec says.
 */
export type SseSplitter = {
  /** Appends the payloads of the events completed by `text` to `out`. */
  push(text: string, out: string[]): void;
};

function dataOf(block: string): string | null {
  let data: string | null = null;
  for (const line of block.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const v = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    data = data === null ? v : `${data}\n${v}`;
  }
  return data;
}

export function createSseSplitter(): SseSplitter {
  let buf = '';
  return {
    push(text, out) {
      buf = buf ? buf + text : text;
      if (buf.includes('\r')) {
        // CRLF or CR line ends; a CR at the very end may be the first half of a CRLF still to come.
        const tail = buf.endsWith('\r') ? '\r' : '';
        buf = buf.slice(0, buf.length - tail.length).replace(/\r\n?/g, '\n') + tail;
      }
      let start = 0;
      let end: number;
      while ((end = buf.indexOf('\n\n', start)) !== -1) {
        // The common case, one `data: {...}` line, is cut out of `buf` directly: one string per event, not two.
        const data =
          buf.startsWith('data: ', start) && buf.indexOf('\n', start) === end ? buf.slice(start + 6, end) : dataOf(buf.slice(start, end));
        start = end + 2;
        if (data !== null) out.push(data);
      }
      buf = start === 0 ? buf : buf.slice(start);
    },
  };
}
