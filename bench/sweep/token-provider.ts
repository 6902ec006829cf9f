/**
 * An OAuth 2.0 token endpoint that answers after a fixed latency (25 ms unless TOKEN_LATENCY_MS says
 * otherwise), run as a process of its own so that its CPU is not counted as the sweeper's.
 *
 * Refresh tokens rotate and carry their lineage and generation (`rt.<lineage>.<generation>`): each use
 * returns the next generation; presenting an older one is reuse (a real provider would revoke the grant),
 * a newer one is a token this endpoint never issued. Any lineage starts at generation 0, so seeded rows
 * need no registration. Driven over IPC by its parent (see provider-process.ts): `stats` returns the counts
 * since the last `reset`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const latencyMs = Number(process.env.TOKEN_LATENCY_MS ?? 25);
/** Lineage → generation of its live refresh token. Kept across resets: rotation continues pass after pass. */
const live = new Map<string, number>();
let window = freshWindow();

function freshWindow() {
  return { tokenRequests: 0, refreshes: 0, reuse: 0, invalid: 0, perLineage: new Map<string, number>() };
}

type Answer = { status: number; body: Record<string, unknown> };

function answer(req: IncomingMessage, form: URLSearchParams): Answer {
  window.tokenRequests++;
  if (!req.headers.authorization?.startsWith('Basic ')) {
    window.invalid++;
    return { status: 401, body: { error: 'invalid_client' } };
  }
  const presented = form.get('grant_type') === 'refresh_token' ? form.get('refresh_token') : null;
  const match = presented ? /^rt\.(.+)\.(\d+)$/.exec(presented) : null;
  if (!match) {
    window.invalid++;
    return { status: 400, body: { error: 'invalid_request' } };
  }
  const [, lineage, given] = match;
  const generation = Number(given);
  const current = live.get(lineage) ?? 0;
  if (generation !== current) {
    if (generation < current) window.reuse++;
    else window.invalid++;
    return { status: 400, body: { error: 'invalid_grant' } };
  }
  live.set(lineage, generation + 1);
  window.refreshes++;
  window.perLineage.set(lineage, (window.perLineage.get(lineage) ?? 0) + 1);
  return {
    status: 200,
    body: {
      access_token: `at.${lineage}.${generation + 1}`,
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: `rt.${lineage}.${generation + 1}`,
    },
  };
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const found = req.method === 'POST' && req.url === '/token';
    // Rotation happens on receipt, as at a real provider; only the answer waits for the latency.
    const result = found
      ? answer(req, new URLSearchParams(Buffer.concat(chunks).toString('utf8')))
      : { status: 404, body: { error: 'not_found' } };
    setTimeout(() => {
      res.writeHead(result.status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(result.body));
    }, latencyMs);
  });
}

function stats() {
  const counts = [...window.perLineage.values()];
  const cpu = process.cpuUsage();
  return {
    tokenRequests: window.tokenRequests,
    refreshes: window.refreshes,
    reuse: window.reuse,
    invalid: window.invalid,
    lineages: counts.length,
    refreshedMoreThanOnce: counts.filter((n) => n > 1).length,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

const server = createServer(handle);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send!({ type: 'ready', url: `http://127.0.0.1:${port}` });
});

process.on('message', (msg: { id: number; type: string }) => {
  if (msg.type === 'reset') window = freshWindow();
  if (msg.type === 'stop') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
    return;
  }
  process.send!({ type: 'result', id: msg.id, ...(msg.type === 'stats' ? stats() : {}) });
});
process.on('disconnect', () => process.exit(0));
