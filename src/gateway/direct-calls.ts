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

/** Options of one call. */
export interface DirectCallOptions {
  signal?: Cancellation | undefined;
  onProgress?: ((progress: Progress) => void) | undefined;
  timeoutMs: number;
}

interface PendingCall {
  resolve(result: Result): void;
  reject(error: unknown): void;
  onProgress: ((progress: Progress) => void) | undefined;
  /** Restarts the timeout (on progress). */
  restartTimer(): void;
}

/**
 * Request ids of direct calls start here, far above the SDK client's own (which count from 0 for
 * the handshake and the few requests it still makes), so that the two never meet in one session.
 */
const FIRST_ID = 2 ** 31;

/** The direct calls of one upstream connection. */
export class DirectCalls {
  private nextId = FIRST_ID;
  private readonly pending = new Map<number, PendingCall>();

  constructor(
    /** Sends a message on the connection's transport. */
    private readonly send: (message: JSONRPCMessage) => Promise<void>,
  ) {}

  /** How many calls are waiting for their answer. */
  get size(): number {
    return this.pending.size;
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
      call.restartTimer();
      if (call.onProgress) {
        const { progressToken: _token, ...progress } = params as { progressToken?: unknown } & Progress;
        call.onProgress(progress);
      }
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
    const { signal, onProgress, timeoutMs } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.nextId++;
    const message: JSONRPCMessage = {
      jsonrpc: "2.0",
      id,
      method,
      // With a progress listener, the upstream reports progress under our id as its token.
      params: onProgress
        ? { ...params, _meta: { ...(params?._meta as object | undefined), progressToken: id } }
        : params,
    };
    return new Promise<Result>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let stopListening: (() => void) | undefined;
      const settle = () => {
        this.pending.delete(id);
        clearTimeout(timer);
        stopListening?.();
      };
      /** Gives up on the call and tells the upstream, as the SDK does on timeout and abort. */
      const cancel = (reason: unknown) => {
        if (!this.pending.has(id)) return;
        settle();
        this.send({
          jsonrpc: "2.0",
          method: "notifications/cancelled",
          params: { requestId: id, reason: String(reason instanceof Error ? reason.message : reason) },
        }).catch(() => {});
        reject(reason);
      };
      const onAbort = (reason: unknown) => cancel(reason);
      const onTimeout = () =>
        cancel(new McpError(ErrorCode.RequestTimeout, "Request timed out", { timeout: timeoutMs }));
      this.pending.set(id, {
        resolve: (result) => {
          settle();
          resolve(result);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
        onProgress,
        restartTimer: () => {
          if (onProgress === undefined) return;
          clearTimeout(timer);
          timer = setTimeout(onTimeout, timeoutMs);
        },
      });
      timer = setTimeout(onTimeout, timeoutMs);
      stopListening = signal?.onAbort(onAbort);
      this.send(message).catch((e: unknown) => {
        if (!this.pending.has(id)) return;
        settle();
        reject(e);
      });
    });
  }

  /** Fails every pending call (the connection closed). */
  failAll(): void {
    const calls = [...this.pending.values()];
    for (const call of calls) call.reject(new McpError(ErrorCode.ConnectionClosed, "Connection closed"));
  }
}
