import { resolveOptions } from '../common/resolved-options.js';
import { resolveConnectOptions } from './connect-session-options.js';
import {
  hashSessionToken,
  isSessionTokenShape,
  newSessionToken,
  sessionBearer,
} from './connect-session-token.js';

describe('connect session options and tokens', () => {
  it('defaults the page to {publicUrl}/{routePrefix}/connect/ and accepts no returnUrl origin', () => {
    expect(resolveConnectOptions(undefined, 'https://app.example.com', 'signing-auth')).toEqual({
      returnUrlOrigins: [],
      pageUrl: 'https://app.example.com/signing-auth/connect/',
    });
    expect(resolveConnectOptions(undefined, 'http://localhost:3000', '').pageUrl).toBe(
      'http://localhost:3000/connect/',
    );
    const resolved = resolveOptions(
      {
        encryptionKeys: 'k:x',
        publicUrl: 'https://sa.example.com/',
        connect: { returnUrlOrigins: ['https://app.example.com/'] },
      },
      { routePrefix: '/esign/', adminApi: false },
    );
    expect(resolved.connect).toEqual({
      returnUrlOrigins: ['https://app.example.com'],
      pageUrl: 'https://sa.example.com/esign/connect/',
      // The Connect page's framing (branch page): none by default.
      frameAncestors: [],
    });
  });

  it.each([
    'https://app.example.com/settings',
    'app.example.com',
    'ftp://app.example.com',
    'https://user@app.example.com',
    '*',
  ])('refuses %s as a returnUrl origin at bootstrap', (origin) => {
    expect(() => resolveConnectOptions({ returnUrlOrigins: [origin] }, 'https://a.example', 'p')).toThrow(
      /connect.returnUrlOrigins must list origins/,
    );
  });

  it('accepts an origin written with capitals (scheme and host are case-insensitive), kept lowercase', () => {
    expect(
      resolveConnectOptions({ returnUrlOrigins: ['HTTPS://App.Example.com:8443'] }, 'https://a.example', 'p')
        .returnUrlOrigins,
    ).toEqual(['https://app.example.com:8443']);
  });

  it('refuses a page URL that is relative or carries a fragment (the token goes there)', () => {
    for (const pageUrl of ['/connect/', 'https://app.example.com/connect/#x', 'javascript:alert(1)']) {
      expect(() => resolveConnectOptions({ pageUrl }, 'https://a.example', 'p')).toThrow(
        /connect.pageUrl must be/,
      );
    }
    expect(
      resolveConnectOptions({ pageUrl: 'https://app.example.com/integrations' }, 'https://a.example', 'p')
        .pageUrl,
    ).toBe('https://app.example.com/integrations');
  });

  it('makes 256-bit sa_cs_ tokens, tells them apart from admin tokens, and hashes them with SHA-256', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => newSessionToken()));
    expect(tokens.size).toBe(1000);
    for (const token of tokens) expect(isSessionTokenShape(token)).toBe(true);
    const [token] = tokens;
    expect(Buffer.from(token.slice(6), 'base64url')).toHaveLength(32);
    expect(hashSessionToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(sessionBearer(`Bearer ${token}`)).toBe(token);
    expect(sessionBearer(`bearer  ${token} `)).toBe(token);
    expect(sessionBearer('Bearer admin-token')).toBeUndefined();
    expect(sessionBearer(undefined)).toBeUndefined();
    expect(isSessionTokenShape(`${token}x`)).toBe(false);
    expect(isSessionTokenShape('sa_cs_short')).toBe(false);
  });
});
