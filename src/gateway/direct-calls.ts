/**
 * Requests the gateway forwards to an upstream itself, on the transport the SDK client opened.
 *
 * The SDK's request machinery (a response schema parse, a handler map per concern, promise and
 * timer bookkeeping, capability checks) costs more than the rest of a forwarded call together; a
 * gateway passes results through untouched and needs none of it. The upstream's answers to these
 * requests and their progress are taken off the transport before the SDK sees them; everything
 * else the upstream sends (its own requests, other notifications) still goes to the SDK client.
 *
 * What the SDK did per request is kept: progress under a token of our own, mapped back by the
 * caller; a timeout (restarted by progress) that cancels upstream; cancellation upstream when the
 * caller aborts; errors as McpError; pending calls failing when the connection closes.
 */
import {
  ErrorCode,
  type JSONRPCMessage,
  McpError,
  type Progress,
  type Result,
} from "@modelcontextprotocol/sdk/types.js";
import { GatewayError } from "../errors.js";
import type { Cancellation } from "./cancellation.js";
import { withMetaMember } from "./members.js";

/** Options of one call. */
export interface DirectCallOptions {
  signal?: Cancellation | undefined;
  onProgress?: ((progress: Progress) => void) | undefined;
  timeoutMs: number;
  /** The client session the call is made for (what the upstream sends meanwhile is routed to it). */
  sessionId: string;
}

/**
 * Request ids of direct calls start here, far above the SDK client's own (which count from 0 for
 * the handshake and the few requests it still makes), so that the two never meet in one session;
 * and below 2^31, where V8 keeps integers unboxed (they key maps and serialise without float
 * formatting) for the next billion calls.
 */
const FIRST_ID = 2 ** 30;

/** The direct calls of one upstream connection. */
export class DirectCalls {
  private nextId = FIRST_ID;
  /** Calls waiting for their answer, oldest first. */
  private readonly pending = new Map<number, PendingCall>();

  constructor(
    /** Sends a message on the connection's transport. */
    readonly send: (message: JSONRPCMessage) => Promise<void>,
  ) {}

  /** How many calls are waiting for their answer. */
  get size(): number {
    return this.pending.size;
  }

  /** The client session of the most recent call still waiting, if any. */
  latestSession(): string | undefined {
    let latest: string | undefined;
    for (const call of this.pending.values()) latest = call.sessionId;
    return latest;
  }

  /**
   * Takes an upstream message that belongs to a direct call (its response, or progress under its
   * token) and returns true; anything else is left for the SDK client (false).
   */
  intercept(message: JSONRPCMessage): boolean {
    if ("method" in message) {
      if (message.method !== "notifications/progress") return false;
      const params = message.params as ({ progressToken?: unknown } & Progress) | undefined;
      const token = params?.progressToken;
      const call = typeof token === "number" ? this.pending.get(token) : undefined;
      if (!call) return false;
      call.progress(params as { progressToken?: unknown } & Progress);
      return true;
    }
    if (!("id" in message) || typeof message.id !== "number") return false;
    const call = this.pending.get(message.id);
    if (!call) return false;
    if ("error" in message) {
      const { code, message: text, data } = message.error;
      call.reject(new McpError(code, text, data));
    } else if ("result" in message) {
      const result: unknown = message.result;
      if (typeof result === "object" && result !== null && !Array.isArray(result)) call.resolve(result as Result);
      else
        call.reject(
          new GatewayError("PORTCULLIS_UPSTREAM_ERROR", "the upstream's result is not a JSON object", {
            rpcCode: ErrorCode.InternalError,
          }),
        );
    } else return false;
    return true;
  }

  /** Sends `method` with `params` and resolves with the upstream's result as it sent it. */
  call(method: string, params: Record<string, unknown> | undefined, options: DirectCallOptions): Promise<Result> {
    const { signal, onProgress } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.nextId++;
    const message: JSONRPCMessage = {
      jsonrpc: "2.0",
      id,
      method,
      // With a progress listener, the upstream reports progress under our id as its token.
      params: onProgress ? withMetaMember(params, "progressToken", id) : params,
    };
    return new Promise<Result>((resolve, reject) => {
      const call = new PendingCall(this, id, options, resolve, reject);
      this.pending.set(id, call);
      call.start();
      this.send(message).then(undefined, (e: unknown) => call.reject(e));
    });
  }

  /** Forgets a call that has its outcome. */
  forget(id: number): void {
    this.pending.delete(id);
  }

  /** Fails every pending call (the connection closed). */
  failAll(): void {
    const calls = [...this.pending.values()];
    for (const call of calls) call.reject(new McpError(ErrorCode.ConnectionClosed, "Connection closed"));
  }
}

/**
 * One call waiting for its answer: settles once, with a timeout (restarted by progress) and the
 * caller's cancellation, either of which gives up on the call and tells the upstream, as the SDK does.
 */
class PendingCall {
  private timer: NodeJS.Timeout | undefined;
  private stopListening: (() => void) | undefined;
  private settled = false;

  constructor(
    private readonly calls: DirectCalls,
    private readonly id: number,
    private readonly options: DirectCallOptions,
    private readonly resolveCall: (result: Result) => void,
    private readonly rejectCall: (error: unknown) => void,
  ) {}

  /** The client session the call is made for. */
  get sessionId(): string {
    return this.options.sessionId;
  }

  start(): void {
    this.timer = setTimeout(onTimeout, this.options.timeoutMs, this);
    this.stopListening = this.options.signal?.onAbort((reason) => this.cancel(reason));
  }

  resolve(result: Result): void {
    if (this.settle()) this.resolveCall(result);
  }

  reject(error: unknown): void {
    if (this.settle()) this.rejectCall(error);
  }

  /** Progress under the call's token: restarts the timeout and reaches the caller without the token. */
  progress(params: { progressToken?: unknown } & Progress): void {
    const onProgress = this.options.onProgress;
    if (onProgress === undefined) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(onTimeout, this.options.timeoutMs, this);
    const { progressToken: _token, ...progress } = params;
    onProgress(progress);
  }

  /** Gives up on the call (timeout, cancellation) and tells the upstream. */
  cancel(reason: unknown): void {
    if (this.settled) return;
    this.calls
      .send({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: this.id, reason: String(reason instanceof Error ? reason.message : reason) },
      })
      .catch(() => {});
    this.reject(reason);
  }

  /** The call's time is up (no answer, and no progress for the whole timeout). */
  timedOut(): void {
    this.cancel(new McpError(ErrorCode.RequestTimeout, "Request timed out", { timeout: this.options.timeoutMs }));
  }

  /** Marks the call settled; false when it already was. */
  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.calls.forget(this.id);
    clearTimeout(this.timer);
    this.stopListening?.();
    return true;
  }
}

/** A timer callback without a closure per call. */
function onTimeout(call: PendingCall): void {
  call.timedOut();
}
