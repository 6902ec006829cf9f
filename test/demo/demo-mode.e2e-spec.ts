import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort, runAppToExit, startApp, type AppProcess } from '../support/app-process.js';

const CHROMIUM = '/usr/bin/chromium';
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const shot = (name: string) => resolve(`artifacts/demo-${name}.png`);
const describeWithBrowser = existsSync(CHROMIUM) ? describe : describe.skip;

/**
 * `npm run demo` as a newcomer meets it (decision 029): the compiled example app with
 * SIGNING_AUTH_DEMO=1 (what `--demo` sets), no provider account, no network. The Connect link from the
 * banner opens the page for the ready tenant; Connect goes to the DocuSign stand-in's consent page; Allow
 * brings the browser back to an active connection; Test connection and Refresh now answer; the terminal
 * shows the refresh-token rotation. At 390 px (a phone) and 1280 px (a laptop).
 */
describeWithBrowser('npm run demo in a real browser', () => {
  let dataDir: string;
  let app: AppProcess;
  let browser: Browser;
  let connectUrl: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'signing-auth-demo-'));
    // Only what a newcomer's shell has: no database, no keys, no provider hosts.
    app = await startApp(
      { SIGNING_AUTH_DEMO: '1', SIGNING_AUTH_DATA_DIR: dataDir, PORT: String(await freePort()) },
      90_000,
    );
    connectUrl = await waitForLink(app, 30_000);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    await mkdir(resolve('artifacts'), { recursive: true });
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("the banner says it is a demo and prints the ready tenant's Connect link", () => {
    const banner = app.output();
    expect(banner).toMatch(/ready in DEMO MODE/);
    expect(banner).toMatch(
      /local stand-ins on 127\.0\.0\.1,\s+not DocuSign, Formstack Sign, Signicat or DocSpring/,
    );
    expect(connectUrl).toMatch(/^http:\/\/localhost:\d+\/signing-auth\/connect\/#session=sa_cs_[\w-]{43}$/);
  });

  for (const width of [390, 1280]) {
    it(`connect, test and refresh DocuSign at ${width} px`, async () => {
      const context = await browser.newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      try {
        await page.goto(connectUrl);
        const status = (provider: string) => row(page, provider).locator('.status').textContent();
        await row(page, 'docusign').waitFor();
        // The tenant is ready: three connections checked with their stand-ins, DocuSign waiting (first pass)
        // or already connected (second pass).
        for (const provider of ['formstack-sign', 'signicat', 'docspring'])
          expect(await status(provider)).toBe('active');
        const first = width === 390;
        expect(await status('docusign')).toBe(first ? 'pending: waiting for consent' : 'active');
        await page.screenshot({ path: shot(`${width}-1-ready`), fullPage: true });

        // Connect → the stand-in's consent page, which says plainly what it is.
        await row(page, 'docusign').locator('button[data-action="connect"]').click();
        await page.locator('#allow').waitFor();
        expect(await page.locator('.demo').textContent()).toMatch(/local stand-in for DocuSign/);
        await page.screenshot({ path: shot(`${width}-2-consent`), fullPage: true });
        await page.click('#allow');

        // Back on the Connect page: active.
        await page.locator('#message', { hasText: 'Connected DocuSign: active' }).waitFor();
        await row(page, 'docusign').waitFor();
        expect(await status('docusign')).toBe('active');
        // The page itself says the account is a stand-in (the account name the stand-in reports).
        expect(await row(page, 'docusign').locator('td[data-label="Provider"]').textContent()).toBe(
          'DocuSignDemo account (local stand-in, not DocuSign)',
        );

        // Test connection: one signed call (userinfo) to the stand-in.
        await row(page, 'docusign').locator('button[data-action="test"]').click();
        const outcome = row(page, 'docusign').locator('td.actions .outcome');
        await outcome.filter({ hasText: /answered|failed/ }).waitFor();
        expect(await outcome.textContent()).toMatch(/^DocuSign answered: the connection works\./);

        // Refresh now: a refresh-token rotation at the stand-in, printed in the terminal.
        const rotationsBefore = rotations(app);
        await row(page, 'docusign').locator('button[data-action="refresh"]').click();
        await outcome.filter({ hasText: /^Refreshed/ }).waitFor();
        expect(await outcome.textContent()).toBe('Refreshed DocuSign: active');
        expect(await row(page, 'docusign').locator('td[data-label="Last refreshed"]').textContent()).not.toBe(
          '—',
        );
        expect(rotations(app)).toBeGreaterThan(rotationsBefore);

        const scrollWidth = await page.evaluate<number>('document.documentElement.scrollWidth');
        expect(scrollWidth).toBe(width);
        await page.screenshot({ path: shot(`${width}-3-refreshed`), fullPage: true });
      } finally {
        await context.close();
      }
    }, 90_000);
  }
});

describe('demo stand-ins', () => {
  it('ship with the app build and import only node: modules, their own files and runtime dependencies', async () => {
    // The demo imports the test emulators at run time (decision 029): they must be compiled into dist/ and
    // must not need a devDependency, or `npm ci --omit=dev` + the demo would fail on a missing package.
    const build = JSON.parse(readFileSync('tsconfig.build.json', 'utf8')) as {
      include: string[];
      exclude: string[];
    };
    expect(build.include).toContain('test/emulators/**/*.ts');
    const { dependencies } = JSON.parse(readFileSync('package.json', 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const shipped = [
      ...(await readdir('test/emulators')).map((f) => `test/emulators/${f}`),
      ...(await readdir('src/demo')).map((f) => `src/demo/${f}`),
    ].filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
    expect(shipped).toEqual(expect.arrayContaining(['src/demo/demo-mode.ts', 'test/emulators/index.ts']));
    const outside: string[] = [];
    for (const file of shipped) {
      for (const [, specifier] of (await readFile(file, 'utf8')).matchAll(
        /^(?:import|export)[^'";]*?from '([^']+)'/gm,
      )) {
        if (specifier.startsWith('node:') || specifier.startsWith('.') || specifier === 'signing-auth')
          continue;
        const name = specifier.startsWith('@')
          ? specifier.split('/').slice(0, 2).join('/')
          : specifier.split('/')[0];
        if (!Object.hasOwn(dependencies, name)) outside.push(`${file}: ${specifier}`);
      }
    }
    expect(outside).toEqual([]);
  });
});

describe('demo mode guard', () => {
  it('refuses to run with NODE_ENV=production, in one line', async () => {
    const { code, output } = await runAppToExit({
      NODE_ENV: 'production',
      SIGNING_AUTH_DEMO: '1',
      SIGNING_AUTH_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      SIGNING_AUTH_ADMIN_TOKENS: randomBytes(18).toString('base64url'),
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    });
    expect(code).toBe(1);
    // Nest colours its log lines.
    const lines = output.replace(ANSI_COLOUR, '').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /SIGNING_AUTH_DEMO \(npm run demo\) starts stand-in providers and is refused with NODE_ENV=production\.$/,
    );
  }, 30_000);
});

function row(page: Page, provider: string) {
  return page.locator(`#connections tbody tr[data-provider="${provider}"]`);
}

function rotations(app: AppProcess): number {
  return app.output().match(/DocuSign stand-in: refresh token rotated/g)?.length ?? 0;
}

async function waitForLink(app: AppProcess, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const link = /^ {2}(http:\/\/\S+#session=\S+)$/m.exec(app.output());
    if (link) return link[1];
    if (Date.now() > deadline) throw new Error(`No Connect link in the demo's output:\n${app.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
