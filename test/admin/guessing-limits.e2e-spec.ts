import { request as httpRequest } from 'node:http';
import { Injectable, UnauthorizedException, type CanActivate } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MemoryRateLimitStore, SigningAuthModule, type SigningAuthModuleOptions } from 'signing-auth';
import { createTestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from './admin-test-app.js';

const WRONG = 'Bearer wrong-token-but-long-enough-0123456789';
const LIST = '/signing-auth/tenants/acme/connections';

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

/** One request from a chosen loopback source address (127.0.0.1 and 127.0.0.2 are two clients). */
function send(
  base: string,
  path: string,
  options: { authorization?: string; from?: string; accept?: string } = {},
): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    if (options.authorization) headers.authorization = options.authorization;
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        headers,
        localAddress: options.from,
      },
      (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string, body }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function statuses(n: number, call: () => Promise<Answer>): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < n; i++) seen.push((await call()).status);
  return seen;
}

/** Decision 024: admin tokens of 32+ characters in production, and guessing is limited per address. */
describe('admin token length at boot', () => {
  async function boot(options: Partial<SigningAuthModuleOptions>): Promise<unknown> {
    const db = await createTestDatabase();
    try {
      const moduleRef = await Test.createTestingModule({
        imports: [
          TypeOrmModule.forRoot(db.options),
          SigningAuthModule.forRoot({ encryptionKeys: [newKey('k1')], adminApi: true, ...options }),
        ],
      }).compile();
      await moduleRef.close();
      return undefined;
    } catch (error) {
      return error;
    } finally {
      await db.close();
    }
  }

  it('production refuses a token shorter than 32 characters, saying how to make one and quoting none', async () => {
    const short = 'admin-token-31-characters-long!';
    expect(short).toHaveLength(31);
    const error = (await boot({ developmentMode: false, admin: { tokens: [ADMIN_TOKEN, short] } })) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/shorter than 32 characters/);
    expect(error.message).toContain("randomBytes(32).toString('base64url')");
    expect(error.message).not.toContain(short);
  });

  it('accepts 32 characters in production, and short tokens in development mode', async () => {
    expect(ADMIN_TOKEN).toHaveLength(32);
    expect(await boot({ developmentMode: false, admin: { tokens: [ADMIN_TOKEN] } })).toBeUndefined();
    expect(await boot({ developmentMode: true, admin: { tokens: ['a'] } })).toBeUndefined();
  });
});

describe('failed admin authentication and callback misuse are rate-limited per address', () => {
  let t: AdminTestApp;
  let offsetMs = 0;

  beforeAll(async () => {
    t = await startAdminApp({
      developmentMode: false,
      clock: () => new Date(Date.now() + offsetMs),
      admin: { rateLimit: { maxFailures: 5, windowSeconds: 60 } },
    });
  });
  afterAll(() => t?.close());

  it('5 wrong tokens → 401; then 429 with Retry-After for that address only, a valid token included, until the window ends', async () => {
    const from = '127.0.0.3';
    // Successes and requests without credentials are not failures.
    expect(
      await statuses(10, () => send(t.baseUrl, LIST, { authorization: `Bearer ${ADMIN_TOKEN}`, from })),
    ).toEqual(Array(10).fill(200));
    expect(await statuses(10, () => send(t.baseUrl, LIST, { from }))).toEqual(Array(10).fill(401));
    expect(await statuses(5, () => send(t.baseUrl, LIST, { authorization: WRONG, from }))).toEqual(
      Array(5).fill(401),
    );

    const blocked = await send(t.baseUrl, LIST, { authorization: WRONG, from });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(blocked.retryAfter)).toBeLessThanOrEqual(60);
    expect(JSON.parse(blocked.body)).toMatchObject({
      statusCode: 429,
      message: expect.stringMatching(/try again/),
    });
    // A right guess during the block is not told apart from a wrong one.
    expect((await send(t.baseUrl, LIST, { authorization: `Bearer ${ADMIN_TOKEN}`, from })).status).toBe(429);

    // Another client is not affected.
    expect(
      (await send(t.baseUrl, LIST, { authorization: `Bearer ${ADMIN_TOKEN}`, from: '127.0.0.4' })).status,
    ).toBe(200);
    expect((await send(t.baseUrl, LIST, { authorization: WRONG, from: '127.0.0.4' })).status).toBe(401);

    offsetMs = 61_000;
    expect((await send(t.baseUrl, LIST, { authorization: `Bearer ${ADMIN_TOKEN}`, from })).status).toBe(200);
    expect((await send(t.baseUrl, LIST, { authorization: WRONG, from })).status).toBe(401);
  });

  it('made-up callbacks are counted on their own door: 429 after 5, the admin API still open', async () => {
    const from = '127.0.0.5';
    const callback = (state: string) => `/signing-auth/oauth/docusign/callback?code=c&state=${state}`;
    const seen = await statuses(5, () => send(t.baseUrl, callback(`guess-${Math.random()}`), { from }));
    expect(seen).toEqual(Array(5).fill(400));
    const blocked = await send(t.baseUrl, callback('one-more'), { from });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await send(t.baseUrl, LIST, { authorization: `Bearer ${ADMIN_TOKEN}`, from })).status).toBe(200);
  });
});

describe('rate limit defaults and a custom guard', () => {
  @Injectable()
  class HostGuard implements CanActivate {
    canActivate(): boolean {
      throw new UnauthorizedException('Unknown admin');
    }
  }

  it('300 wrong tokens with the defaults: the first 20 are 401, the rest 429 (the issue: 300 × 401)', async () => {
    const t = await startAdminApp({ developmentMode: false });
    try {
      const seen = await statuses(300, () => send(t.baseUrl, LIST, { authorization: WRONG }));
      expect(seen.slice(0, 20)).toEqual(Array(20).fill(401));
      expect(seen.slice(20)).toEqual(Array(280).fill(429));
    } finally {
      await t.close();
    }
  });

  it("a host's own guard is not throttled by the library (it counts nothing, answers its own 401s)", async () => {
    const t = await startAdminApp({ admin: { tokens: [], guard: HostGuard, rateLimit: { maxFailures: 2 } } });
    try {
      expect(await statuses(10, () => send(t.baseUrl, LIST, { authorization: WRONG }))).toEqual(
        Array(10).fill(401),
      );
    } finally {
      await t.close();
    }
  });

  it('counts in the store it is given (a shared store behind several replicas)', async () => {
    const store = new MemoryRateLimitStore();
    const a = await startAdminApp({ admin: { rateLimit: { maxFailures: 3, store } } });
    const b = await startAdminApp({ admin: { rateLimit: { maxFailures: 3, store } } });
    try {
      expect(await statuses(2, () => send(a.baseUrl, LIST, { authorization: WRONG }))).toEqual([401, 401]);
      expect((await send(b.baseUrl, LIST, { authorization: WRONG })).status).toBe(401);
      // The third failure was on replica b; replica a now refuses too.
      expect((await send(a.baseUrl, LIST, { authorization: WRONG })).status).toBe(429);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
