import { BlockList, isIP } from 'node:net';
import { isLoopback } from './api/loopback.ts';

/**
 * Where the console may listen: a loopback address, or an address of the customer's private network
 * (RFC 1918 IPv4, IPv6 unique-local) — never a wildcard (0.0.0.0, ::) that would include public
 * interfaces, never a public address, never a host name (whose address could change under us).
 */
const PRIVATE = new BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');

export type BindScope = 'loopback' | 'private';

/** The scope of an address the console may bind to, or why it may not. */
export function consoleBindScope(host: string): { ok: true; scope: BindScope } | { ok: false; problem: string } {
  const family = isIP(host);
  if (family === 0) return { ok: false, problem: 'an IP address (not a host name), loopback or on your private network' };
  if (isLoopback(host)) return { ok: true, scope: 'loopback' };
  if (PRIVATE.check(host, family === 4 ? 'ipv4' : 'ipv6')) return { ok: true, scope: 'private' };
  return {
    ok: false,
    problem: 'a loopback or private-network address (127.x, ::1, 10.x, 172.16-31.x, 192.168.x, fc00::/7); never a wildcard or public one',
  };
}
