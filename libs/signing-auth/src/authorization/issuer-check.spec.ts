import type { SigningAuthStrategy, StrategyConnection } from '../providers/strategy.interface.js';
import { issuerRefusal } from './issuer-check.js';

const connection = {
  tenantId: 'acme',
  provider: 'custom',
  config: {},
  secrets: {},
} as unknown as StrategyConnection;
const strategyWith = (buildAuthorizationUrl: () => string) =>
  ({ id: 'custom', buildAuthorizationUrl }) as unknown as SigningAuthStrategy;

describe('RFC 9207 issuer check without a configured issuer', () => {
  it('accepts an iss with the authorization endpoint origin and refuses another', () => {
    const strategy = strategyWith(() => 'https://idp.example.com/authorize?x=1');
    expect(issuerRefusal(strategy, connection, 'https://idp.example.com')).toBeUndefined();
    expect(issuerRefusal(strategy, connection, 'https://evil.example.com')).toBe('wrong_issuer');
  });

  it('refuses nothing when the endpoint cannot be learnt (a URL builder that checks its inputs)', () => {
    const strategy = strategyWith(() => {
      throw new Error('redirectUri must be registered');
    });
    expect(issuerRefusal(strategy, connection, 'https://idp.example.com')).toBeUndefined();
  });
});
