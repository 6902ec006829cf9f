/**
 * The measured floor of a sweep: the same N token requests at the same concurrency, sent by a bare
 * keep-alive `node:http` client from this one process to the same endpoint, nothing else (no database, no
 * crypto, no library). A `setTimeout(25)` endpoint answers in ≥ 25 ms, and loopback sends and the event
 * loop cost something, so N × 25 ms / concurrency is a bound no client reaches; the sweep's wall time over
 * this floor is the library's own overhead and nothing else.
 */
import { Agent, request } from 'node:http';

export interface FloorResult {
  /** Wall time of the N requests, ms. */
  wallMs: number;
  /** CPU of this process meanwhile (user + system), ms. */
  cpuMs: number;
  /** Answers with a 2xx status (the caller decides whether all must be). */
  ok: number;
}

export interface FloorRequest {
  /** The token endpoint, `http://127.0.0.1:<port>/token`. */
  tokenUrl: string;
  n: number;
  concurrency: number;
  /** The i-th request's form body (e.g. a refresh token the endpoint accepts). */
  body(i: number): string;
  /** Extra headers, e.g. the client's Basic authorization. */
  headers?: Record<string, string>;
}

/** Sends `n` POSTs, `concurrency` at a time over at most `concurrency` keep-alive sockets. */
export async function measureFloor(spec: FloorRequest): Promise<FloorResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const url = new URL(spec.tokenUrl);
  let next = 0;
  let ok = 0;
  const post = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const body = spec.body(i);
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(body),
            accept: 'application/json',
            ...spec.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            // Parsed as a client would: the answer is read whole and decoded.
            JSON.parse(Buffer.concat(chunks).toString('utf8'));
            if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300) ok++;
            resolve();
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const worker = async () => {
    while (next < spec.n) await post(next++);
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: Math.min(spec.concurrency, spec.n) }, worker));
  } finally {
    agent.destroy();
  }
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000, ok };
}
