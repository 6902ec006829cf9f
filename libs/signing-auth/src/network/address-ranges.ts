import { BlockList, isIP } from 'node:net';

/** What an IP address is, as far as where credentials and tenant URLs may lead. @internal */
export type AddressKind = 'public' | 'loopback' | 'private' | 'metadata';

/**
 * Cloud endpoints that hand out instance credentials or control the host: never reachable, whatever
 * `allowPrivateNetworks` says. Some of them are public-looking addresses (Azure's WireServer), so the
 * private-range list alone would let a tenant URL reach them.
 */
const METADATA = new BlockList();
for (const ip of [
  '169.254.169.254', // AWS, GCP, Azure IMDS, DigitalOcean, OpenStack …
  '169.254.170.2', // ECS task roles
  '169.254.170.23', // EKS Pod Identity agent
  '169.254.169.253', // AWS DNS resolver
  '169.254.0.23', // Tencent Cloud metadata
  '100.100.100.200', // Alibaba Cloud metadata
  '168.63.129.16', // Azure WireServer (a public address: agent, health probes, DNS)
  '192.0.0.192', // Oracle Cloud (OCI) metadata
])
  METADATA.addAddress(ip, 'ipv4');
for (const ip of ['fd00:ec2::254', 'fd00:ec2::23']) METADATA.addAddress(ip, 'ipv6'); // AWS IMDS, EKS Pod Identity

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Not routable on the public internet: private, shared, link-local, multicast, reserved, unspecified. */
const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network", 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT (also Alibaba's metadata)
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10],
  ['ff00::', 8], // multicast
] as const)
  NON_PUBLIC.addSubnet(net, prefix, 'ipv6');

/**
 * Classifies an IP literal. IPv4 embedded in IPv6 (`::ffff:127.0.0.1`, `::127.0.0.1`, NAT64 `64:ff9b::a00:5`)
 * is judged by the IPv4 address it reaches. Anything that is not an IP literal is `private`: refuse
 * what cannot be judged.
 * @internal
 */
export function classifyAddress(address: string): AddressKind {
  const ip = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const version = isIP(ip);
  if (version === 0) return 'private';
  if (version === 6) {
    const embedded = embeddedIpv4(ip);
    if (embedded) return classifyAddress(embedded);
  }
  const type = version === 4 ? 'ipv4' : 'ipv6';
  if (METADATA.check(ip, type)) return 'metadata';
  if (LOOPBACK.check(ip, type)) return 'loopback';
  if (NON_PUBLIC.check(ip, type)) return 'private';
  return 'public';
}

/** The IPv4 address inside an IPv4-mapped, IPv4-compatible or NAT64 (64:ff9b::/96) IPv6 address. */
function embeddedIpv4(ip: string): string | undefined {
  const lower = ip.toLowerCase();
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|::|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return undefined;
  const high = parseInt(hex[1]!, 16);
  const low = parseInt(hex[2]!, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}
