/**
 * What signing costs the caller of an HTTP request, end to end: signed and plain GETs through the same
 * axios settings (the library instance's `timeout` and `maxContentLength`), the same agent and ONE
 * keep-alive connection to the same server, interleaved request by request in an order that rotates every
 * round, so load from other processes, GC and CPU frequency hit every path alike. A second plain path
 * (A/A) is the control: whatever it differs from the first by is noise.
 *
 * Each request is timed alone, wall (hrtime) and CPU of this process (`process.cpuUsage()`); CPU time
 * counts only what this process ran, so a busy machine barely moves it, while wall time includes waiting
 * for a core. The server runs in a child process, so none of its work is counted.
 */
import { Agent } from 'node:http';
import type { AxiosAdapter, AxiosInstance, AxiosRequestConfig } from 'axios';
import { median } from './kit.js';

export interface RoundTripPath {
  client: AxiosInstance;
  config: AxiosRequestConfig;
}

/** Per repetition: medians over its rounds. µs figures are per request. */
export interface RoundTripFigures {
  /** signed / plain and plain / plain (A/A), wall time. */
  wallRatio: { signed: number; control: number };
  cpuRatio: { signed: number; control: number };
  /** signed − plain and plain − plain, µs per request. */
  wallUs: { signed: number; control: number };
  cpuUs: { signed: number; control: number };
}

/** An agent that keeps exactly one socket open and counts the sockets it ever opened. */
export function oneConnectionAgent(): { agent: Agent; opened: () => number } {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
  let opened = 0;
  const create = agent.createConnection.bind(agent);
  agent.createConnection = ((...args: Parameters<typeof create>) => {
    opened++;
    return create(...args);
  }) as typeof agent.createConnection;
  return { agent, opened: () => opened };
}

interface Totals {
  wallNs: number;
  cpuUs: number;
}

/** One GET, timed. Throws on anything but 200 (a refused or unauthorised call would be cheaper). */
async function timed(path: RoundTripPath, url: string, into: Totals): Promise<void> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const res = await path.client.get(url, path.config);
  const wall = process.hrtime.bigint() - started;
  const used = process.cpuUsage(cpu);
  if (res.status !== 200) throw new Error(`unexpected status ${res.status}`);
  into.wallNs += Number(wall);
  into.cpuUs += used.user + used.system;
}

/**
 * `requests` GETs per path, in rounds of `round` requests per path; within a round the three paths take
 * turns request by request, and which goes first rotates with every request.
 */
export async function roundTrips(
  paths: { plain: RoundTripPath; control: RoundTripPath; signed: RoundTripPath },
  url: string,
  requests: number,
  round = 200,
): Promise<RoundTripFigures> {
  const order = [paths.plain, paths.control, paths.signed];
  const rounds = {
    wallRatio: { signed: [] as number[], control: [] as number[] },
    cpuRatio: { signed: [] as number[], control: [] as number[] },
    wallUs: { signed: [] as number[], control: [] as number[] },
    cpuUs: { signed: [] as number[], control: [] as number[] },
  };
  for (let done = 0; done < requests; done += round) {
    const totals = new Map<RoundTripPath, Totals>(order.map((p) => [p, { wallNs: 0, cpuUs: 0 }]));
    for (let i = 0; i < round; i++) {
      for (let k = 0; k < order.length; k++) {
        const path = order[(i + k) % order.length];
        await timed(path, url, totals.get(path)!);
      }
    }
    const plain = totals.get(paths.plain)!;
    for (const name of ['signed', 'control'] as const) {
      const other = totals.get(paths[name])!;
      rounds.wallRatio[name].push(other.wallNs / plain.wallNs);
      rounds.cpuRatio[name].push(other.cpuUs / plain.cpuUs);
      rounds.wallUs[name].push((other.wallNs - plain.wallNs) / 1000 / round);
      rounds.cpuUs[name].push((other.cpuUs - plain.cpuUs) / round);
    }
  }
  const both = (figures: { signed: number[]; control: number[] }) => ({
    signed: median(figures.signed),
    control: median(figures.control),
  });
  return {
    wallRatio: both(rounds.wallRatio),
    cpuRatio: both(rounds.cpuRatio),
    wallUs: both(rounds.wallUs),
    cpuUs: both(rounds.cpuUs),
  };
}

/**
 * The same two clients with the network taken out: both get a transport that answers at once with what
 * the http adapter returns (a response whose `request` carries the raw header text, so the redaction is
 * part of the figure). CPU µs per request, signed − plain, per pair of blocks. A check of the end-to-end
 * figure that a busy machine moves far less (a request costs ~30 µs here instead of ~300 µs).
 */
export async function isolatedCost(
  plain: RoundTripPath,
  signed: RoundTripPath,
  url: string,
  authorization: string,
  blocks: number,
  block = 2_000,
): Promise<number[]> {
  const rawHeader =
    `GET /api/ping HTTP/1.1\r\nAccept: application/json, text/plain, */*\r\nAuthorization: ${authorization}\r\n` +
    'User-Agent: axios/1.21.1\r\nAccept-Encoding: gzip, compress, deflate, br\r\nHost: 127.0.0.1\r\n' +
    'Connection: keep-alive\r\n\r\n';
  const instant: AxiosAdapter = async (config) => ({
    status: 200,
    statusText: 'OK',
    headers: { 'content-type': 'application/json' },
    config,
    request: { _header: rawHeader },
    data: '{"ok":true}',
  });
  const isolated = (path: RoundTripPath): RoundTripPath => ({
    client: path.client,
    config: { ...path.config, adapter: instant },
  });
  const [p, s] = [isolated(plain), isolated(signed)];
  const cpuPerRequest = async (path: RoundTripPath): Promise<number> => {
    const cpu = process.cpuUsage();
    for (let i = 0; i < block; i++) await path.client.get(url, path.config);
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / block;
  };
  await cpuPerRequest(p);
  await cpuPerRequest(s);
  const extraUs: number[] = [];
  for (let i = 0; i < blocks; i++) {
    // Alternating which goes first, so a drift in the machine's speed favours neither.
    const [first, second] = i % 2 ? [s, p] : [p, s];
    const a = await cpuPerRequest(first);
    const b = await cpuPerRequest(second);
    extraUs.push(first === s ? a - b : b - a);
  }
  return extraUs;
}
