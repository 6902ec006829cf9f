/**
 * A provider for the scenarios, in a child process so its work never shares the measured event loop or
 * CPU figures: `POST /token` (any OAuth 2.0 grant) answers after `tokenDelayMs` with a new access token
 * each time; `GET /api/*` answers 200 to a bearer token it issued (401 otherwise); `GET /public` answers
 * 200 to anyone; `GET /stats` says how many token requests it served.
 */
import { spawn } from 'node:child_process';

export interface ApiServer {
  url: string;
  /** Every token starts with this, so a response's token is recognisable and unique. */
  tokenPrefix: string;
  tokenRequests(): Promise<number>;
  close(): void;
}

const SOURCE = `
  const [prefix, delayMs] = [process.argv[1], Number(process.argv[2])];
  let issued = 0;
  const server = require('node:http').createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/token') {
        const n = ++issued;
        const answer = () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ access_token: prefix + '-' + n, token_type: 'Bearer', expires_in: 3600 }));
        };
        return delayMs > 0 ? setTimeout(answer, delayMs) : answer();
      }
      if (req.url === '/stats') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ tokenRequests: issued }));
      }
      const ok = req.url === '/public' || (req.headers.authorization || '').startsWith('Bearer ' + prefix + '-');
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(ok ? '{"ok":true}' : '{"error":"invalid_token"}');
    });
  });
  server.keepAliveTimeout = 60000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

export async function startApiServer(options: { tokenDelayMs?: number } = {}): Promise<ApiServer> {
  const tokenPrefix = `bench${Math.random().toString(36).slice(2, 10)}`;
  const child = spawn(process.execPath, ['-e', SOURCE, tokenPrefix, String(options.tokenDelayMs ?? 0)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the API server exited (${code}) before listening`)));
    child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    tokenPrefix,
    async tokenRequests() {
      const res = await fetch(`${url}/stats`);
      return ((await res.json()) as { tokenRequests: number }).tokenRequests;
    },
    close: () => void child.kill(),
  };
}

/** A client-credentials connection of the generic `oauth2` strategy pointed at the server. */
export function oauth2Connection(server: ApiServer) {
  return {
    config: {
      tokenUrl: `${server.url}/token`,
      apiBaseUrls: [server.url],
      clientId: 'bench',
      grant: 'client_credentials',
    },
    secrets: { clientSecret: 'bench-secret' },
  };
}
