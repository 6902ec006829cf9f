import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startDocSpringEmulator, type DocSpringEmulator } from '../emulators/index.js';
import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from './admin-test-app.js';

/** One row of the reference's table of concrete requests. */
interface Row {
  method: string;
  path: string;
  /** `no token`, `text/plain`, a JSON body, or empty. */
  sentWith: string;
  status: number;
}

/** The rows of the table whose header is `| request | sent with | status |` in docs/reference/admin-api.md. */
function referenceRows(): Row[] {
  const page = readFileSync(resolve('docs/reference/admin-api.md'), 'utf8');
  const start = page.indexOf('| request | sent with | status |');
  if (start < 0) throw new Error('the table of concrete requests is gone from admin-api.md');
  const rows: Row[] = [];
  for (const line of page.slice(start).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const [request, sentWith, status] = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((cell) => cell.trim());
    const [, method, path] = /^`(GET|PUT|POST|DELETE) ([^`]+)`$/.exec(request) ?? [];
    if (!method) throw new Error(`admin-api.md: cannot read the request of ${line}`);
    rows.push({ method, path, sentWith: sentWith.replace(/^`|`$/g, ''), status: Number(status) });
  }
  return rows;
}

const SECRET = `dsp-${randomUUID()}`;

/**
 * The admin API reference matches behaviour. Every concrete request the reference lists
 * is sent, in order, to a running app, and must get the status the reference gives it (an unknown provider
 * on GET was documented as 404 and answers 400 listing the known ones).
 */
describe('docs/reference/admin-api.md: every listed request gets the listed status', () => {
  const rows = referenceRows();
  let dsp: DocSpringEmulator;
  let t: AdminTestApp;

  beforeAll(async () => {
    dsp = await startDocSpringEmulator({ apiTokens: [{ id: 'tok_1', secret: SECRET }] });
    t = await startAdminApp({ hosts: { docspringApiUrl: dsp.url }, sweep: { enabled: false } });
    const put = (provider: string, body: unknown) =>
      fetch(`${t.baseUrl}/signing-auth/tenants/acme/connections/${provider}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect(
      (
        await put('docspring', {
          config: { region: 'us', tokenId: 'tok_1' },
          secrets: { tokenSecret: SECRET },
        })
      ).status,
    ).toBe(200);
    const docusign = await put('docusign', {
      config: { environment: 'demo', integrationKey: randomUUID(), grant: 'authorization_code' },
      secrets: { secretKey: 'a-secret-key' },
    });
    expect(docusign.status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await dsp?.close();
  });

  it('lists the routes it must (the table is read)', () => {
    expect(rows.length).toBeGreaterThan(15);
    expect(rows.map((r) => r.path)).toContain('/signing-auth/tenants/acme/connections/docspring/test');
  });

  it('answers each request as the reference says', async () => {
    const answers: string[] = [];
    for (const row of rows) {
      const headers: Record<string, string> = {};
      if (row.sentWith !== 'no token') headers.authorization = `Bearer ${ADMIN_TOKEN}`;
      let body: string | undefined;
      if (row.sentWith === 'text/plain') {
        headers['content-type'] = 'text/plain';
        body = 'config=1';
      } else if (row.sentWith.startsWith('{')) {
        headers['content-type'] = 'application/json';
        body = row.sentWith;
      }
      const res = await fetch(`${t.baseUrl}${row.path}`, {
        method: row.method,
        headers,
        body,
        redirect: 'manual',
      });
      answers.push(`${row.method} ${row.path} ${row.sentWith} → ${res.status}`);
      if (row.path.endsWith('/connections/nope') && row.method === 'GET') {
        expect(((await res.json()) as { message: string }).message).toMatch(/docspring/);
      }
    }
    expect(answers).toEqual(rows.map((row) => `${row.method} ${row.path} ${row.sentWith} → ${row.status}`));
  });
});
