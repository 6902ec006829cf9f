import { failureRedirect, successRedirect } from './oauth-callback.js';
import type { ConnectionView } from '../connections/connection-view.js';

const view = { tenantId: 'acme', provider: 'docusign', status: 'active' } as ConnectionView;

describe('OAuth callback redirects', () => {
  it('keep a relative redirect URL relative instead of failing the finished connect', () => {
    const admin = { successRedirectUrl: '/connect/?x=1', failureRedirectUrl: '/connect/' };
    expect(successRedirect(admin, view)).toBe('/connect/?x=1&tenantId=acme&provider=docusign&status=active');
    expect(failureRedirect(admin, 'docusign', new Error('boom'))).toMatch(
      /^\/connect\/\?.*provider=docusign/,
    );
  });

  it('keep an absolute redirect URL absolute', () => {
    const admin = { successRedirectUrl: 'https://app.example/done' };
    expect(successRedirect(admin, view)).toBe(
      'https://app.example/done?tenantId=acme&provider=docusign&status=active',
    );
  });
});
