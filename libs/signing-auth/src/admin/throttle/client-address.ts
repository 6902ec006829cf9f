import { isIP } from 'node:net';
import type { Request } from 'express';

/**
 * The address failures are counted under: Express's `request.ip` (which honours the app's `trust proxy`
 * setting: behind a reverse proxy, set it, or every client shares the proxy's address), IPv4-mapped IPv6 as
 * IPv4, and IPv6 by its /64 — one host usually holds a whole /64, so counting single IPv6 addresses would
 * give it 2^64 budgets.
 * @internal
 */
export function clientAddress(request: Pick<Request, 'ip' | 'socket'>): string {
  const raw = (request.ip ?? request.socket?.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/i, '');
  if (isIP(raw) !== 6) return raw || 'unknown';
  return `${expandIpv6(raw).slice(0, 4).join(':')}::/64`;
}

function expandIpv6(ip: string): string[] {
  const [head, tail] = ip.replace(/%.*$/, '').toLowerCase().split('::') as [string, string?];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right].map((h) =>
    (parseInt(h, 16) || 0).toString(16),
  );
}
