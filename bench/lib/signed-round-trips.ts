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
import type { AxiosInstance, AxiosRequestConfig } from 'axios';
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
