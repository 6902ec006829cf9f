import { percentile } from '../lib/kit.js';

/** Wall time of each of `n` sequential runs of `work`, in ms. */
export async function timeEach(n: number, work: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await work(i);
    samples.push(performance.now() - started);
  }
  return samples;
}

/** "p50 1.23 ms, p99 4.56 ms" for a note. */
export function p50p99(samples: readonly number[]): string {
  return `p50 ${percentile(samples, 50).toFixed(2)} ms, p99 ${percentile(samples, 99).toFixed(2)} ms`;
}

/** Calls `work` back to back until `stop()` says so, recording each call's wall time (ms). */
export function serveUntil(
  stop: () => boolean,
  work: (i: number) => Promise<unknown>,
): { done: Promise<number[]> } {
  const samples: number[] = [];
  const done = (async () => {
    for (let i = 0; !stop(); i++) {
      const started = performance.now();
      await work(i);
      samples.push(performance.now() - started);
      // Yield to the event loop so the served loop is a client among others, not a busy spin.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return samples;
  })();
  return { done };
}
