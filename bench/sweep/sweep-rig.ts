/**
 * Everything the sweep scenario runs against: the token provider (its own process), the seeded fleet in a
 * schema of its own, and two sweeping replica processes started up front. `pass()` marks the first `n`
 * connections due, runs one complete sweep pass in one replica or in both at once, and checks that every
 * due connection was refreshed exactly once.
 */
import type { SweepOptions } from 'signing-auth';
import { measureFloor, type FloorResult } from '../lib/token-floor.js';
import { Fleet } from './fleet.js';
import { IpcChild } from './ipc-child.js';
import type { PassReply } from './sweep-replica.js';
import { TokenProviderProcess } from './token-provider-process.js';

/** Latency of the token endpoint, the unit of every bound. */
export const LATENCY_MS = 25;

export interface PassResult {
  profile: string;
  n: number;
  replicas: number;
  /** From the moment the pass was asked of the replicas until the last one answered. */
  wallMs: number;
  /** CPU of the sweeping processes (sum over replicas). */
  cpuMs: number;
  providerCpuMs: number;
  statements: number;
  transactions: number;
  refreshed: number;
  tokenRequests: number;
  reuse: number;
  /** Due connections not refreshed, or refreshed more than once, or left not active: must be 0. */
  wrong: number;
  /** What went wrong, for the log; empty when the pass was correct. */
  problems: string[];
}

export class SweepRig {
  /** Numbers the floor runs, so each uses refresh-token lineages of its own. */
  private floors = 0;

  private constructor(
    private readonly provider: TokenProviderProcess,
    readonly fleet: Fleet,
    private readonly replicas: IpcChild[],
  ) {}

  static async start(options: {
    databaseUrl: string;
    seed: number;
    profiles: Record<string, SweepOptions>;
    log: (message: string) => void;
  }): Promise<SweepRig> {
    const started: { stop(): Promise<void> }[] = [];
    const track = async <T extends { stop(): Promise<void> }>(part: Promise<T>): Promise<T> => {
      const value = await part;
      started.push(value);
      return value;
    };
    try {
      const since = performance.now();
      const [provider, fleet] = await Promise.all([
        track(TokenProviderProcess.start(LATENCY_MS)),
        track(Fleet.create(options.databaseUrl)),
      ]);
      const config = JSON.stringify({
        databaseUrl: options.databaseUrl,
        schema: fleet.schema,
        encryptionKeys: fleet.encryptionKeys,
        profiles: options.profiles,
      });
      // The replicas need only the tables (made by the migrations): they load while the rows are seeded.
      const [replicas] = await Promise.all([
        Promise.all(['replica A', 'replica B'].map((name) => track(startReplica(name, config, options.log)))),
        fleet.seed(options.seed, provider.tokenUrl),
      ]);
      options.log(
        `seeded ${options.seed} connections (schema ${fleet.schema}) and started 2 replicas in ` +
          `${Math.round(performance.now() - since)} ms`,
      );
      return new SweepRig(provider, fleet, replicas);
    } catch (error) {
      for (const part of started.reverse()) await part.stop().catch(() => undefined);
      throw error;
    }
  }

  async pass(profile: string, n: number, replicaCount: 1 | 2): Promise<PassResult> {
    await this.fleet.markDue(n);
    await this.provider.reset();
    const providerBefore = await this.provider.stats();
    const sweeping = this.replicas.slice(0, replicaCount);
    const started = performance.now();
    const replies = await Promise.all(
      sweeping.map((r) =>
        r.request<PassReply & { error?: string } & Record<string, unknown>>({ type: 'pass', profile }),
      ),
    );
    const wallMs = performance.now() - started;
    const provider = await this.provider.stats();
    const left = await this.fleet.leftBehind(n);
    const sum = (pick: (r: PassReply) => number) => replies.reduce((total, r) => total + pick(r), 0);
    const problems = [
      ...replies.filter((r) => r.error).map((r) => `pass failed: ${r.error}`),
      ...replies.flatMap((r) => r.failures ?? []),
    ];
    const refreshed = sum((r) => r.refreshed ?? 0);
    const missed = n - provider.lineages;
    const wrong = Math.max(0, missed) + provider.refreshedMoreThanOnce + left.stillDue + left.notActive;
    if (provider.tokenRequests !== n) problems.push(`${provider.tokenRequests} token requests for ${n} due`);
    if (refreshed !== n) problems.push(`reports say ${refreshed} refreshed of ${n}`);
    if (provider.reuse > 0) problems.push(`${provider.reuse} refresh tokens reused`);
    if (provider.invalid > 0) problems.push(`${provider.invalid} invalid token requests`);
    if (wrong > 0) {
      problems.push(
        `${missed} not refreshed, ${provider.refreshedMoreThanOnce} refreshed twice, ${left.stillDue} still due, ` +
          `${left.notActive} not active`,
      );
    }
    return {
      profile,
      n,
      replicas: replicaCount,
      wallMs,
      cpuMs: sum((r) => r.cpuMs),
      providerCpuMs: provider.cpuMs - providerBefore.cpuMs,
      statements: sum((r) => r.statements),
      transactions: sum((r) => r.transactions),
      refreshed,
      tokenRequests: provider.tokenRequests,
      reuse: provider.reuse,
      wrong,
      problems,
    };
  }

  /**
   * The measured floor for a pass of `n` at `concurrency`: the same number of token requests from a bare
   * keep-alive client in this process (bench/lib/token-floor.ts). Each request presents the first refresh
   * token of a lineage of its own, so the endpoint accepts it (and answers as it does the sweep) and no
   * connection's lineage moves. Run it between passes: `pass()` resets the endpoint's counts first.
   */
  async floor(n: number, concurrency: number): Promise<FloorResult> {
    const run = ++this.floors;
    const result = await measureFloor({
      tokenUrl: this.provider.tokenUrl,
      n,
      concurrency,
      body: (i) => `grant_type=refresh_token&refresh_token=rt.floor${run}x${i}.0`,
      headers: { authorization: `Basic ${Buffer.from('bench-floor:secret').toString('base64')}` },
    });
    if (result.ok !== n) throw new Error(`floor: ${result.ok} of ${n} token requests answered 2xx`);
    return result;
  }

  async stop(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.stop()));
    await this.provider.stop();
    await this.fleet.stop();
  }
}

async function startReplica(name: string, config: string, log: (message: string) => void): Promise<IpcChild> {
  const [replica, ready] = await IpcChild.start(name, new URL('./sweep-replica.js', import.meta.url), {
    SWEEP_REPLICA_CONFIG: config,
  });
  const ms = (key: string) => Math.round(ready[key] as number);
  log(`${name}: modules loaded at ${ms('loadedMs')} ms, apps started at ${ms('startedMs')} ms`);
  return replica;
}
