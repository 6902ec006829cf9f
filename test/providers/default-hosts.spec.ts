import { randomUUID } from 'node:crypto';
import { DocSpringStrategy } from '../../libs/signing-auth/src/providers/docspring/docspring.strategy.js';
import { SignicatStrategy } from '../../libs/signing-auth/src/providers/signicat/signicat.strategy.js';
import type { SigningAuthStrategy } from 'signing-auth';
import { DocuSignStrategy } from '../../libs/signing-auth/src/providers/docusign/docusign.strategy.js';
import { builtInStrategy, connectionFor, context, failureOf, rsaKeyPair } from './strategy-test-kit.js';

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

  it('DocuSign: transport per environment; the JWT aud is always the real account host', async () => {
    const jwt = (ds: SigningAuthStrategy, environment: string) =>
      connectionFor(ds, {
        config: { environment, integrationKey: randomUUID(), grant: 'jwt', userId: randomUUID() },
        secrets: { privateKey: rsaKeyPair().privateKey },
      });
    const proxied = builtInStrategy('docusign', {
      docusignOAuthUrl: 'https://egress.example/all',
      docusignOAuthUrls: { production: 'https://egress.example/prod' },
    }) as DocuSignStrategy;
    expect(proxied.oauthBaseUrl(jwt(proxied, 'production'))).toBe('https://egress.example/prod');
    expect(proxied.oauthBaseUrl(jwt(proxied, 'demo'))).toBe('https://egress.example/all');
    expect(proxied.jwtAudience(jwt(proxied, 'production'))).toBe('account.docusign.com');
    expect(proxied.jwtAudience(jwt(proxied, 'demo'))).toBe('account-d.docusign.com');
    const prodOnly = builtInStrategy('docusign', {
      docusignOAuthUrls: { production: 'https://egress.example/prod' },
    }) as DocuSignStrategy;
    expect(prodOnly.oauthBaseUrl(jwt(prodOnly, 'demo'))).toBe('https://account-d.docusign.com');
    const privateDeployment = builtInStrategy('docusign', {
      docusignJwtAudience: { production: 'account.docusign.internal' },
    }) as DocuSignStrategy;
    expect(privateDeployment.jwtAudience(jwt(privateDeployment, 'production'))).toBe(
      'account.docusign.internal',
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
          config: { clientId: 'c', generation, scopes: generation === 'platform' ? ['signicat-api'] : ['x'] },
          secrets: { clientSecret: 's' },
        }),
      );
    expect(url('express')).toBe('https://api.signicat.io/oauth/connect/token');
    expect(url('platform')).toBe('https://api.signicat.com/auth/open/connect/token');
    expect(url('idfy')).toBe('https://api.idfy.io/oauth/connect/token');
  });

  it('Signicat: an override per generation wins over the all-generation one', () => {
    const sig = builtInStrategy('signicat', {
      signicatUrl: 'https://proxy.example/all',
      signicatUrls: { platform: 'https://proxy.example/platform' },
    }) as SignicatStrategy;
    const url = (generation: string) =>
      sig.tokenUrl(
        connectionFor(sig, {
          config: { clientId: 'c', generation, scopes: generation === 'platform' ? ['signicat-api'] : ['x'] },
          secrets: { clientSecret: 's' },
        }),
      );
    expect(url('platform')).toBe('https://proxy.example/platform/auth/open/connect/token');
    expect(url('express')).toBe('https://proxy.example/all/oauth/connect/token');
  });

  it('DocSpring: an override per region', () => {
    const dsp = builtInStrategy('docspring', {
      docspringApiUrls: { eu: 'https://proxy.example/eu/' },
    }) as DocSpringStrategy;
    const base = (region: string) =>
      dsp.apiBaseUrl(connectionFor(dsp, { config: { region, tokenId: 't' }, secrets: { tokenSecret: 's' } }));
    expect(base('eu')).toBe('https://proxy.example/eu');
    expect(base('us')).toBe('https://sync.api.docspring.com');
  });

  it('DocSpring: the sync host of the region', () => {
    const dsp = builtInStrategy('docspring', {}) as DocSpringStrategy;
    const base = (region: string) =>
      dsp.apiBaseUrl(connectionFor(dsp, { config: { region, tokenId: 't' }, secrets: { tokenSecret: 's' } }));
    expect(base('us')).toBe('https://sync.api.docspring.com');
    expect(base('eu')).toBe('https://sync.api-eu.docspring.com');
  });
});
