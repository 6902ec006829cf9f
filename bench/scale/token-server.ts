import { spawn } from 'node:child_process';

/**
 * A token endpoint in a child process (so its CPU is not the scenario's): every POST /token answers a
 * fresh client-credentials grant at once. Connections made through the API verify against it on save.
 */
export async function startTokenServer(): Promise<{ tokenUrl: string; apiBase: string; close(): void }> {
  const source = `
    let n = 0;
    const server = require('node:http').createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: 'scale-' + (++n), token_type: 'Bearer', expires_in: 28800 }));
      });
    });
    server.keepAliveTimeout = 60000;
    server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
  `;
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
  });
  const apiBase = `http://127.0.0.1:${port}`;
  return { tokenUrl: `${apiBase}/token`, apiBase, close: () => child.kill() };
}
