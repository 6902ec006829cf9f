/**
 * Clean-ups that must run even when a scenario is interrupted (the runner got Ctrl-C or SIGTERM, or the
 * scenario timed out): e.g. dropping its database. The scenario's `finally` blocks do not run then; the
 * child process runs these on SIGTERM before it exits (scenario-process.ts).
 */
const cleanups = new Set<() => Promise<void>>();

/** Registers `cleanup`; call the returned function once it ran normally. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Runs every registered clean-up, giving up after `limitMs`. */
export async function runInterruptCleanups(limitMs: number): Promise<void> {
  const all = Promise.allSettled([...cleanups].map((cleanup) => cleanup()));
  await Promise.race([all, new Promise((resolve) => setTimeout(resolve, limitMs).unref())]);
}
