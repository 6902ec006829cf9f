import { SigningAuthModule } from 'signing-auth';
import { CONNECT_PAGE_FILES } from '../../libs/signing-auth/src/connect-page/connect-page.controller.js';
import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from './admin-test-app.js';
import { newKey } from '../support/test-keys.js';

const STRICT_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** The library serves its own Connect page (`connectPage: true`): the file set, the headers, the options. */
describe('Connect page served by the library', () => {
  describe('with the defaults', () => {
    let harness: AdminTestApp;

    beforeAll(async () => {
      harness = await startAdminApp({ connectPage: true, publicUrl: 'https://app.example.com' });
    });

    afterAll(async () => {
      await harness?.close();
    });

    it('serves every file of the page with the strict headers, and no script inline in the HTML', async () => {
      for (const [file, type] of Object.entries(CONNECT_PAGE_FILES)) {
        const path = file === 'index.html' ? '' : file;
        const res = await fetch(`${harness.baseUrl}/signing-auth/connect/${path}`);
        expect({ file, status: res.status, type: res.headers.get('content-type') }).toEqual({
          file,
          status: 200,
          type,
        });
        expect(res.headers.get('content-security-policy')).toBe(STRICT_CSP);
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        // No Cross-Origin-Opener-Policy: it would cut the popup off from the host page that opened it.
        expect(res.headers.get('cross-origin-opener-policy')).toBeNull();
        const body = await res.text();
        expect(body.length).toBeGreaterThan(100);
        if (file === 'index.html') {
          // Every <script> has a src (the CSP forbids inline script anyway; this keeps the page honest).
          expect(body.match(/<script\b[^>]*>/g)).toEqual(['<script type="module" src="main.js">']);
          expect(body).not.toMatch(/\son[a-z]+=/i);
          expect(body).not.toMatch(/style=/i);
        }
      }
    });

    it('redirects /connect to /connect/ keeping the query, relative to where it is mounted', async () => {
      const res = await fetch(`${harness.baseUrl}/signing-auth/connect?provider=docusign&status=active`, {
        redirect: 'manual',
      });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('connect/?provider=docusign&status=active');
      expect(res.headers.get('content-security-policy')).toBe(STRICT_CSP);
    });

    it('serves nothing outside the fixed file set', async () => {
      for (const path of [
        'package.json',
        '..%2Fpackage.json',
        'connect.js',
        '.env',
        '%2e%2e%2fsrc%2findex.ts',
      ]) {
        const res = await fetch(`${harness.baseUrl}/signing-auth/connect/${path}`);
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
        if (!path.includes('%')) expect(res.headers.get('content-security-policy')).toBe(STRICT_CSP);
      }
    });

    it('sends the browser back to the page after consent when no redirect URL is configured', async () => {
      // A callback whose state is unknown fails; the browser still lands on the page, which shows why.
      const res = await fetch(
        `${harness.baseUrl}/signing-auth/oauth/docusign/callback?code=c&state=unknown`,
        {
          redirect: 'manual',
        },
      );
      expect(res.status).toBe(302);
      const location = new URL(res.headers.get('location')!);
      expect(location.origin + location.pathname).toBe('https://app.example.com/signing-auth/connect/');
      expect(location.searchParams.get('provider')).toBe('docusign');
      expect(location.searchParams.get('error')).toMatch(/^state_/);
    });

    it('leaves the admin API guarded: the page itself holds no data', async () => {
      const res = await fetch(`${harness.baseUrl}/signing-auth/tenants/acme/connections`);
      expect(res.status).toBe(401);
      const ok = await fetch(`${harness.baseUrl}/signing-auth/providers`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(ok.status).toBe(200);
    });
  });

  describe('with connect.frameAncestors and another route prefix', () => {
    let harness: AdminTestApp;

    beforeAll(async () => {
      harness = await startAdminApp({
        connectPage: true,
        routePrefix: '/api/esign/',
        connect: { frameAncestors: ['https://app.example.com', 'http://127.0.0.1:8080/'] },
      });
    });

    afterAll(async () => {
      await harness?.close();
    });

    it('lets exactly those origins frame the page, and drops X-Frame-Options', async () => {
      const res = await fetch(`${harness.baseUrl}/api/esign/connect/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toBe(
        STRICT_CSP.replace(
          "frame-ancestors 'none'",
          'frame-ancestors https://app.example.com http://127.0.0.1:8080',
        ),
      );
      expect(res.headers.get('x-frame-options')).toBeNull();
      expect((await fetch(`${harness.baseUrl}/signing-auth/connect/`)).status).toBe(404);
    });
  });

  it('is not mounted without connectPage', async () => {
    const harness = await startAdminApp();
    try {
      expect((await fetch(`${harness.baseUrl}/signing-auth/connect/`)).status).toBe(404);
    } finally {
      await harness.close();
    }
  });

  it.each([
    [{ connectPage: true }, /connectPage: true needs adminApi: true .* Set adminApi: true as well/],
    [
      {
        adminApi: true,
        admin: { tokens: ['t'] },
        connect: { frameAncestors: ['https://app.example.com/path'] },
      },
      /connect\.frameAncestors\[0\] must be an origin such as https:\/\/app\.example\.com .*"https:\/\/app\.example\.com\/path"/,
    ],
    [
      { adminApi: true, admin: { tokens: ['t'] }, connect: { frameAncestors: ["'self'; script-src *"] } },
      /connect\.frameAncestors\[0\] must be an origin/,
    ],
    [
      { adminApi: true, admin: { tokens: ['t'] }, connect: { frameAncestors: ['https://*.example.com'] } },
      /connect\.frameAncestors\[0\] must be an origin/,
    ],
    [
      { adminApi: true, admin: { tokens: ['t'] }, connect: { frameAncestors: 'https://a.example' } },
      /must be a list/,
    ],
  ])('refuses bad options at boot, naming the fix (%#)', (options, message) => {
    expect(() => SigningAuthModule.forRoot({ encryptionKeys: [newKey('k1')], ...options } as never)).toThrow(
      message,
    );
  });

  it('refuses connectPage without adminApi in forRootAsync too', () => {
    expect(() =>
      SigningAuthModule.forRootAsync({
        connectPage: true,
        useFactory: () => ({ encryptionKeys: [newKey('k1')] }),
      }),
    ).toThrow(/connectPage: true needs adminApi: true/);
  });
});
