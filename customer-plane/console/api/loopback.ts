import { isIP } from 'node:net';

/** Loopback addresses only: the local API is for people on the customer plane's own host (and the console it serves). */
export function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
