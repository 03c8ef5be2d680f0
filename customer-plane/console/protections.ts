import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, ForbiddenError } from '../../shared/errors.ts';

/**
 * What every console response carries, and what every request must be:
 * - headers: a Content-Security-Policy that allows no script at all (the console is server-rendered
 *   HTML and forms) and only same-origin styles and form targets, no framing, no MIME sniffing, no
 *   Referer to other sites, nothing cached, and HSTS over TLS;
 * - the Host header must name this console (its address, `localhost` on loopback, or a configured
 *   name): a page on another site whose DNS name is re-pointed at this address (DNS rebinding) is
 *   answered 421 and gets nothing;
 * - a request that changes something must come from the console's own pages: an `Origin` (or
 *   `Sec-Fetch-Site`) naming another site is refused 403 before the CSRF token is even looked at.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function securityHeaders(tls: boolean): Record<string, string> {
  return {
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    // Not no-referrer: with it Chromium sends `Origin: null` on the console's own form posts, and the
    // same-origin check below could not tell them from a sandboxed attacker's.
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    ...(tls ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}

/** The host part of a Host header (`name:port`, `[v6]:port`), lower-cased; undefined if malformed. */
export function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(header);
  return m ? (m[1] ?? m[2]).toLowerCase() : undefined;
}

export class MisdirectedRequest extends AppError {
  constructor() {
    super('misdirected_request', 421, 'this console does not answer to that host name');
  }
}

export function installProtections(app: FastifyInstance, opts: { tls: boolean; hosts: ReadonlySet<string> }): void {
  const headers = securityHeaders(opts.tls);
  const scheme = opts.tls ? 'https' : 'http';
  app.addHook('onRequest', async (req, reply) => {
    reply.headers(headers);
    const host = hostOf(req.headers.host);
    if (!host || !opts.hosts.has(host)) throw new MisdirectedRequest();
    if (req.method !== 'GET' && req.method !== 'HEAD') checkSameOrigin(req, `${scheme}://${req.headers.host!.toLowerCase()}`);
  });
}

function checkSameOrigin(req: FastifyRequest, self: string): void {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    throw new ForbiddenError('the request came from another site; nothing was changed', { code: 'cross_origin_request' });
  const origin = req.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== self)
    throw new ForbiddenError('the request came from another origin; nothing was changed', { code: 'cross_origin_request' });
}
