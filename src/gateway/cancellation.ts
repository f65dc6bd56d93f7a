/**
 * A forwarded request's cancellation: what an AbortController gives, without its cost (an
 * EventTarget per request, a listener added and removed per upstream call) until something needs
 * a real AbortSignal. Nearly every request ends without being cancelled.
 */
export class Cancellation {
  aborted = false;
  reason: unknown = undefined;
  private listeners: ((reason: unknown) => void)[] | undefined;
  private controller: AbortController | undefined;

  /** Cancels (once): listeners run, and the signal (if one was asked for) aborts. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener(reason);
    this.controller?.abort(reason);
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

  /** An AbortSignal that follows this cancellation, for APIs that take one (created on first use). */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }
}
