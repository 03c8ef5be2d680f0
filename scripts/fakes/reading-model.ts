import type { ScriptedReply, ScriptedRequest } from './server.ts';

/**
 * A script for the FAKE providers that behaves like a careful reviewer, so tests and the memory bench see
 * realistic conversations: it lists the workspace, reads the files under `under` (`perTurn` at a time), and
 * then answers with one low-severity finding per file that quotes the file's first line. It decides only
 * from the conversation it is sent, so the same conversation always gets the same reply.
 */
export function readingModel(opts: { under?: string; perTurn?: number; onRequest?: (req: ScriptedRequest) => void } = {}) {
  const under = opts.under ?? 'src/';
  const perTurn = opts.perTurn ?? 1;
  return (req: ScriptedRequest): ScriptedReply | undefined => {
    opts.onRequest?.(req);
    const results = req.messages.filter((m) => m.role === 'tool').map((m) => JSON.parse(m.content) as { kind: string; content?: string });
    if (results.length === 0) return { toolCalls: [{ name: 'list_files', arguments: '{}' }] };
    const listing = (results[0].content ?? '').split('\n').filter((p) => p.startsWith(under));
    const read = results.length - 1;
    if (read < listing.length) {
      const next = listing.slice(read, read + perTurn);
      return { toolCalls: next.map((path) => ({ name: 'read_file', arguments: JSON.stringify({ path }) })) };
    }
    const findings = listing.map((file, i) => ({
      rule: 'review/clarity',
      severity: 'low',
      file,
      line: 1,
      message: `first line: ${(results[i + 1].content ?? '').split('\n')[0].slice(0, 200) || '(empty)'}`,
    }));
    return { content: JSON.stringify({ summary: `reviewed ${listing.length} files`, findings, patches: [] }) };
  };
}
