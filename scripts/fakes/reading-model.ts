import type { ScriptedReply, ScriptedRequest } from './server.ts';

/**
 * A script for the FAKE providers that behaves like a careful reviewer, so tests and the memory bench see
 * realistic conversations: it lists the workspace, reads each file under `under` one turn at a time, and
 * then answers with one low-severity finding per file that quotes the file's first line. It decides only
 * from the conversation it is sent, so the same conversation always gets the same reply.
 */
export function readingModel(opts: { under?: string; onRequest?: (req: ScriptedRequest) => void } = {}) {
  const under = opts.under ?? 'src/';
  return (req: ScriptedRequest): ScriptedReply | undefined => {
    opts.onRequest?.(req);
    const results = req.messages.filter((m) => m.role === 'tool').map((m) => JSON.parse(m.content) as { kind: string; content?: string });
    if (results.length === 0) return { toolCalls: [{ name: 'list_files', arguments: '{}' }] };
    const listing = (results[0].content ?? '').split('\n').filter((p) => p.startsWith(under));
    const read = results.length - 1;
    if (read < listing.length) return { toolCalls: [{ name: 'read_file', arguments: JSON.stringify({ path: listing[read] }) }] };
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
