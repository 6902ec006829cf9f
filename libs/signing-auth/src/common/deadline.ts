/** A signal that aborts after a time limit, with a timer that can be cancelled. @internal */
export interface Deadline {
  readonly signal: AbortSignal;
  /** True once the time limit (not some other cause) aborted the signal. */
  readonly expired: boolean;
  /** Cancels the timer; call it when the work is done. */
  clear(): void;
}

/**
 * Like `AbortSignal.timeout(ms)`, optionally also following `parent`, but cancellable: the timer of
 * `AbortSignal.timeout` cannot be stopped, so for every call that finished in time it still fires later,
 * builds a DOMException and dispatches an abort event nobody listens to (a visible cost per refresh in a
 * sweep's profile), and `AbortSignal.any` keeps its sources alive until it is collected.
 * @internal
 */
export function deadline(ms: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  let expired = false;
  const follow = (): void => controller.abort(parent?.reason);
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, ms);
  // Like AbortSignal.timeout: a pending deadline never keeps the process alive.
  timer.unref();
  if (parent?.aborted) follow();
  else parent?.addEventListener('abort', follow, { once: true });
  return {
    signal: controller.signal,
    get expired() {
      return expired;
    },
    clear() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', follow);
    },
  };
}
