/**
 * The size of a chat request for the rate limiter's token estimate: its Content-Length, or for a
 * chunked request (no Content-Length) the size of the parsed body as JSON. Counting a chunked
 * request as zero bytes let a client pass any prompt under the tokens-per-minute limit as "1 token".
 */
export function requestBytes(contentLength: string | undefined, body: unknown): number {
  const declared = Number(contentLength);
  if (contentLength !== undefined && Number.isFinite(declared) && declared > 0) return declared;
  return body === undefined || body === null ? 0 : Buffer.byteLength(JSON.stringify(body));
}
