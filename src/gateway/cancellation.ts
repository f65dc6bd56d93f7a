/**
 * A forwarded request's cancellation: what an AbortController gives, without its cost (an
 * EventTarget per request, a listener added and removed per upstream call). Nearly every request
 * ends without being cancelled.
 */
export class Cancellation {
  aborted = false;
  reason: unknown = undefined;
  private listeners: ((reason: unknown) => void)[] | undefined;

  /** Cancels (once): the listeners run. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener(reason);
  }

  /** Calls `listener` on cancellation (at most once); returns what stops listening. */
  onAbort(listener: (reason: unknown) => void): () => void {
    this.listeners ??= [];
    this.listeners.push(listener);
    return () => {
      const listeners = this.listeners;
      if (!listeners) return;
      const i = listeners.indexOf(listener);
      if (i >= 0) listeners.splice(i, 1);
    };
  }
}
