import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderFailure } from 'signing-auth';
import { NetworkPolicy, type LookupFunction } from '../../libs/signing-auth/src/network/network-policy.js';
import { ProviderHttpClient } from '../../libs/signing-auth/src/providers/shared/provider-http.client.js';

/** A token endpoint that counts TCP connections and requests, answering after `latencyMs`. */
async function countingServer(latencyMs = 0) {
  const stats = { connections: 0, requests: 0 };
  const server: Server = createServer({ keepAlive: true }, (req, res) => {
    stats.requests++;
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: 'at', token_type: 'Bearer', expires_in: 3600 }));
      }, latencyMs),
    );
  });
  server.on('connection', () => stats.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const failure = { provider: 'oauth2', tenantId: 't', operation: 'refresh' };
const context = () => ({ signal: new AbortController().signal, now: () => new Date() });

function post(client: ProviderHttpClient, url: string, tenantUrl: boolean) {
  return client.request(
    { method: 'POST', url, tenantUrl, form: { grant_type: 'refresh_token', refresh_token: 'rt' } },
    context(),
    failure,
  );
}

describe('Provider calls reuse keep-alive sockets', () => {
  let server: Awaited<ReturnType<typeof countingServer>>;
  let client: ProviderHttpClient;
  beforeEach(async () => {
    server = await countingServer(5);
  });
  afterEach(async () => {
    client?.close();
    await server.close();
  });

  it.each([
    ['a tenant URL (checked pool)', true],
    ['an operator-configured host', false],
  ])('%s: 60 token requests, 10 at a time, over at most 10 TCP connections', async (_name, tenantUrl) => {
    const policy = new NetworkPolicy({ developmentMode: true, allowPrivateNetworks: false });
    client = new ProviderHttpClient(5_000, policy);
    const url = `http://127.0.0.1:${server.port}/token`;
    for (let round = 0; round < 6; round++) {
      await Promise.all(Array.from({ length: 10 }, () => post(client, url, tenantUrl)));
    }
    expect(server.stats.requests).toBe(60);
    expect(server.stats.connections).toBeLessThanOrEqual(10);
  });

  it('a reused socket stays on the address that was checked; a new socket after rebinding is checked again', async () => {
    let lookups = 0;
    // The first connection resolves to loopback (allowed in development mode), later ones to 10.0.0.5.
    const rebinding: LookupFunction = (_host, options, callback) => {
      const address = lookups++ === 0 ? '127.0.0.1' : '10.0.0.5';
      if (options.all) callback(null, [{ address, family: 4 }]);
      else callback(null, address, 4);
    };
    const policy = new NetworkPolicy({ developmentMode: true, allowPrivateNetworks: false }, rebinding);
    client = new ProviderHttpClient(5_000, policy);
    const url = `http://idp.rebind.test:${server.port}/token`;
    // Sequential calls share the one checked socket: no new lookup, no new connection.
    await post(client, url, true);
    await post(client, url, true);
    expect(server.stats.connections).toBe(1);
    expect(lookups).toBe(1);
    // Two at once need a second socket: its lookup answers the private address, and it is refused.
    const results = await Promise.allSettled([post(client, url, true), post(client, url, true)]);
    const refused = results.filter((r) => r.status === 'rejected').map((r) => r.reason as ProviderFailure);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(ProviderFailure);
    expect(refused[0]).toMatchObject({ kind: 'needs_reauth', details: { code: 'forbidden_address' } });
    expect(server.stats.connections).toBe(1);
    expect(server.stats.requests).toBe(3);
  });

  it('a socket opened for an operator-configured host is never used for a tenant URL', async () => {
    const refuseAll: LookupFunction = (_host, options, callback) => {
      if (options.all) callback(null, [{ address: '10.0.0.5', family: 4 }]);
      else callback(null, '10.0.0.5', 4);
    };
    // The same name and port through both paths: the trusted pool connects without the check...
    const policy = new NetworkPolicy({ developmentMode: false, allowPrivateNetworks: false }, refuseAll);
    client = new ProviderHttpClient(5_000, policy);
    await post(client, `http://localhost:${server.port}/token`, false);
    expect(server.stats.connections).toBe(1);
    // ...and the tenant URL to that host still goes through the checking lookup, and is refused.
    const error = await post(client, `http://localhost:${server.port}/token`, true).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'needs_reauth', details: { code: 'forbidden_address' } });
    expect(server.stats.requests).toBe(1);
  });
});
