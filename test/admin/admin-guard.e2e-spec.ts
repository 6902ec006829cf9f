import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { StaticTokenStrategy } from '../support/fake-strategy.js';
import { startAdminApp, type AdminTestApp } from './admin-test-app.js';
import { AdminClient } from './admin-client.js';

/** The README's example: each admin token may act on some tenants only. */
@Injectable()
class TenantScopedAdminGuard implements CanActivate {
  private readonly tenantsByToken = new Map([['Bearer alice-token', ['acme']]]);

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const tenants = this.tenantsByToken.get(request.headers.authorization ?? '');
    if (!tenants) throw new UnauthorizedException('Unknown admin');
    return tenants.includes(String(request.params.tenantId));
  }
}

describe('admin API with a custom guard and route prefix', () => {
  let harness: AdminTestApp;
  let alice: AdminClient;

  beforeAll(async () => {
    harness = await startAdminApp({
      routePrefix: '/internal/sa/',
      strategies: [new StaticTokenStrategy()],
      admin: { tokens: [], guard: TenantScopedAdminGuard },
    });
    alice = new AdminClient(harness.baseUrl, 'alice-token');
  });

  afterAll(() => harness?.close());

  it('mounts the routes under the configured prefix only', async () => {
    expect((await alice.request('GET', '/internal/sa/tenants/acme/connections')).status).toBe(200);
    expect((await alice.request('GET', '/signing-auth/tenants/acme/connections')).status).toBe(404);
  });

  it('lets the guard scope an admin to some tenants: 403 elsewhere, 401 for an unknown admin', async () => {
    const put = await alice.request('PUT', '/internal/sa/tenants/acme/connections/static-test', {
      body: { config: { clientId: 'c' }, secrets: { clientSecret: 's' } },
    });
    expect(put.status).toBe(200);

    const elsewhere = await alice.request('PUT', '/internal/sa/tenants/globex/connections/static-test', {
      body: { config: { clientId: 'c' }, secrets: { clientSecret: 's' } },
    });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.json).toEqual({ statusCode: 403, error: 'Forbidden', message: expect.any(String) });
    expect((await alice.request('GET', '/internal/sa/tenants/globex/connections')).status).toBe(403);

    const stranger = await alice.request('GET', '/internal/sa/tenants/acme/connections', {
      authorization: 'Bearer mallory',
    });
    expect(stranger.json).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Unknown admin' });
  });
});
