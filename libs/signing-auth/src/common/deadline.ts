/** A signal that aborts after a time limit, with a timer that can be cancelled. @internal */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Cancels the timer; call it when the work is done. */
  clear(): void;
}

/**
 * Like `AbortSignal.timeout(ms)`, but cancellable: the timer of `AbortSignal.timeout` cannot be stopped,
 * so for every call that finished in time it still fires later, builds a DOMException and dispatches an
 * abort event nobody listens to (a visible cost per refresh in a sweep's profile).
 * @internal
 */
export function deadline(ms: number): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    ms,
  );
  // Like AbortSignal.timeout: a pending deadline never keeps the process alive.
  timer.unref();
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/**
 * Runs `work` with a {@link deadline} of `ms` and cancels the timer when it settles: what an
 * `AbortSignal.timeout(ms)` passed to one call does, without the timer left behind.
 * @internal
 */
export async function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const limit = deadline(ms);
  try {
    return await work(limit.signal);
  } finally {
    limit.clear();
  }
}
