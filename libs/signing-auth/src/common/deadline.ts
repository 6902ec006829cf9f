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
