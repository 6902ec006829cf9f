import { randomUUID } from 'node:crypto';
import { DocSpringStrategy } from '../../libs/signing-auth/src/providers/docspring/docspring.strategy.js';
import { SignicatStrategy } from '../../libs/signing-auth/src/providers/signicat/signicat.strategy.js';
import { builtInStrategy, connectionFor, context, failureOf } from './strategy-test-kit.js';

/** Without overrides, each strategy talks to the vendor hosts providers.md lists. */
describe('built-in strategies: production hosts and overrides', () => {
  const params = { redirectUri: 'https://app.example/cb', state: 's', codeChallenge: 'c' };

  it('DocuSign: account-d for demo, account for production, one override for both', () => {
    const ds = builtInStrategy('docusign', {});
    const make = (environment: string) =>
      connectionFor(ds, {
        config: { environment, integrationKey: randomUUID(), grant: 'authorization_code' },
        secrets: { secretKey: 's' },
      });
    expect(ds.buildAuthorizationUrl!(make('demo'), params)).toMatch(
      /^https:\/\/account-d\.docusign\.com\/oauth\/auth\?/,
    );
    expect(ds.buildAuthorizationUrl!(make('production'), params)).toMatch(
      /^https:\/\/account\.docusign\.com\/oauth\/auth\?/,
    );
    const overridden = builtInStrategy('docusign', { docusignOAuthUrl: 'https://proxy.example/ds/' });
    expect(overridden.buildAuthorizationUrl!(make('production'), params)).toMatch(
      /^https:\/\/proxy\.example\/ds\/oauth\/auth\?/,
    );
  });

  it('DocuSign: refreshing a code grant without a stored refresh token asks for a new consent', async () => {
    const ds = builtInStrategy('docusign', {});
    const conn = connectionFor(ds, {
      config: { environment: 'demo', integrationKey: randomUUID(), grant: 'authorization_code' },
      secrets: { secretKey: 's' },
    });
    expect(await failureOf(() => ds.refresh(conn, context()))).toMatchObject({
      kind: 'needs_reauth',
      details: { code: 'no_refresh_token' },
    });
  });

  it('Signicat: a token endpoint per generation', () => {
    const sig = builtInStrategy('signicat', {}) as SignicatStrategy;
    const url = (generation: string) =>
      sig.tokenUrl(
        connectionFor(sig, {
          config: { clientId: 'c', generation, scopes: ['x'] },
          secrets: { clientSecret: 's' },
        }),
      );
    expect(url('express')).toBe('https://api.signicat.io/oauth/connect/token');
    expect(url('platform')).toBe('https://api.signicat.com/auth/open/connect/token');
    expect(url('idfy')).toBe('https://api.idfy.io/oauth/connect/token');
  });

  it('DocSpring: the sync host of the region', () => {
    const dsp = builtInStrategy('docspring', {}) as DocSpringStrategy;
    const base = (region: string) =>
      dsp.apiBaseUrl(connectionFor(dsp, { config: { region, tokenId: 't' }, secrets: { tokenSecret: 's' } }));
    expect(base('us')).toBe('https://sync.api.docspring.com');
    expect(base('eu')).toBe('https://sync.api-eu.docspring.com');
  });
});
