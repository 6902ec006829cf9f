/**
 * A token endpoint in a process of its own (so its CPU is not counted as the sweeping process's): answers
 * every `POST /token` after a fixed latency with a fresh access token and a rotated refresh token, and
 * counts requests and TCP connections (a keep-alive client opens far fewer connections than it sends
 * requests). Started by {@link startTokenEndpoint}; run as a child with `fork()`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export interface TokenEndpointStats {
  requests: number;
  connections: number;
}

export interface TokenEndpoint {
  /** `http://127.0.0.1:<port>/token` */
  tokenUrl: string;
  stats(): Promise<TokenEndpointStats>;
  stop(): Promise<void>;
}

type Message = { kind: 'listening'; port: number } | { kind: 'stats'; stats: TokenEndpointStats };

/** Forks this file as a token endpoint answering after `latencyMs`. */
export async function startTokenEndpoint(latencyMs: number): Promise<TokenEndpoint> {
  const child = fork(fileURLToPath(import.meta.url), [String(latencyMs)], { stdio: 'inherit' });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`token endpoint exited with ${code}`)));
    child.once('message', (m: Message) => m.kind === 'listening' && resolve(m.port));
  });
  return {
    tokenUrl: `http://127.0.0.1:${port}/token`,
    stats: () => ask(child),
    stop: async () => {
      child.removeAllListeners('exit');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    },
  };
}

function ask(child: ChildProcess): Promise<TokenEndpointStats> {
  return new Promise((resolve) => {
    const onMessage = (m: Message): void => {
      if (m.kind !== 'stats') return;
      child.off('message', onMessage);
      resolve(m.stats);
    };
    child.on('message', onMessage);
    child.send('stats');
  });
}

/** The child's side: the server itself. */
async function serve(latencyMs: number): Promise<void> {
  const stats: TokenEndpointStats = { requests: 0, connections: 0 };
  const server = createServer({ keepAlive: true }, (req, res) => {
    stats.requests++;
    req.resume();
    req.on('end', () => {
      void sleep(latencyMs).then(() => {
        const body = JSON.stringify({
          access_token: `at_${randomBytes(24).toString('base64url')}`,
          refresh_token: `rt_${randomBytes(24).toString('base64url')}`,
          token_type: 'Bearer',
          expires_in: 3600,
        });
        res.writeHead(req.method === 'POST' && req.url === '/token' ? 200 : 404, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
      });
    });
  });
  server.keepAliveTimeout = 10_000;
  server.on('connection', () => stats.connections++);
  server.listen(0, '127.0.0.1', () => {
    process.send!({ kind: 'listening', port: (server.address() as AddressInfo).port } satisfies Message);
  });
  process.on('message', () => process.send!({ kind: 'stats', stats } satisfies Message));
  process.on('disconnect', () => process.exit(0));
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) await serve(Number(process.argv[2]));
