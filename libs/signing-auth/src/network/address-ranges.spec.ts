import { classifyAddress } from './address-ranges.js';
import { NetworkPolicy } from './network-policy.js';

/** Credential-bearing cloud endpoints are never reachable through a tenant URL. */
describe('never-allowed cloud endpoints', () => {
  const permissive = new NetworkPolicy({ developmentMode: true, allowPrivateNetworks: true });

  it.each([
    ['Azure WireServer (a public address)', '168.63.129.16'],
    ['Azure WireServer, IPv4-mapped', '::ffff:168.63.129.16'],
    ['EKS Pod Identity agent', '169.254.170.23'],
    ['EKS Pod Identity agent, IPv6', 'fd00:ec2::23'],
    ['Oracle Cloud metadata', '192.0.0.192'],
    ['Tencent Cloud metadata', '169.254.0.23'],
    ['AWS/GCP/Azure IMDS', '169.254.169.254'],
    ['AWS IMDS, IPv6', '[fd00:ec2::254]'],
  ])('%s (%s) is metadata, refused even with allowPrivateNetworks', (_what, address) => {
    expect(classifyAddress(address)).toBe('metadata');
    expect(permissive.refusal(address)?.kind).toBe('metadata');
  });

  it('leaves the neighbours of those addresses as they were', () => {
    expect(classifyAddress('168.63.129.17')).toBe('public');
    expect(classifyAddress('192.0.0.193')).toBe('private');
    expect(classifyAddress('fd00:ec2::24')).toBe('private');
  });
});
