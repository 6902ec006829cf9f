import { IpcChild } from './ipc-child.js';

/** Counts of the token endpoint since its last `reset()` (CPU since it started). */
export interface ProviderStats {
  tokenRequests: number;
  refreshes: number;
  reuse: number;
  invalid: number;
  /** Lineages (connections) refreshed at least once. */
  lineages: number;
  refreshedMoreThanOnce: number;
  cpuMs: number;
}

/** The parent's handle on token-provider.js, running in a process of its own. */
export class TokenProviderProcess {
  private constructor(
    private readonly child: IpcChild,
    /** The token endpoint's URL. */
    readonly tokenUrl: string,
  ) {}

  static async start(latencyMs: number): Promise<TokenProviderProcess> {
    const [child, ready] = await IpcChild.start(
      'token provider',
      new URL('./token-provider.js', import.meta.url),
      {
        TOKEN_LATENCY_MS: String(latencyMs),
      },
    );
    return new TokenProviderProcess(child, `${ready.url as string}/token`);
  }

  async reset(): Promise<void> {
    await this.child.request({ type: 'reset' });
  }

  stats(): Promise<ProviderStats> {
    return this.child.request<ProviderStats & Record<string, unknown>>({ type: 'stats' });
  }

  stop(): Promise<void> {
    return this.child.stop();
  }
}
