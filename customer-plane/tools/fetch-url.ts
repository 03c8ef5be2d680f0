import type { ToolResult } from '../../agents/tools.ts';
import { capped, type ExecutorContext, failed } from './types.ts';

const TIMEOUT_MS = 15_000;
const MAX_BYTES = 1024 * 1024;

/**
 * fetch_url runs only after a person approved it (the gate asks for every network call). No redirects
 * are followed: a redirect is returned as its status, so an approved URL cannot turn into another one.
 */
export async function fetchUrl(url: URL, ctx: ExecutorContext): Promise<ToolResult> {
  const doFetch = ctx.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, { redirect: 'manual', signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(TIMEOUT_MS)]) });
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return failed('timeout', `no answer within ${TIMEOUT_MS / 1000} s`);
    return failed('failed', 'the request failed');
  }
  const reader = res.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let cut = false;
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > MAX_BYTES) {
      cut = true;
      await reader.cancel();
      break;
    }
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const { output, truncated } = capped(`[status ${res.status}]\n${text}`);
  return { ok: true, output, truncated: truncated || cut, data: { status: res.status } };
}
