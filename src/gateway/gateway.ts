/**
 * The gateway: client sessions, the policy in force, the upstreams, and the routing of what
 * upstreams send unprompted (notifications, server-to-client requests) to the right session.
 * Transport-neutral: the HTTP and stdio front ends feed it JSON-RPC messages.
 */
import { randomUUID } from "node:crypto";
import {
  ErrorCode,
  type JSONRPCMessage,
  type JSONRPCNotification,
  type JSONRPCRequest,
  LATEST_PROTOCOL_VERSION,
  McpError,
  type Notification,
  type Request,
  type Result,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "pino";
import type { AuditLog } from "../audit/audit.js";
import { type Config, type HttpUpstreamConfig, isHttpUpstream } from "../config/schema.js";
import type { PolicyStatus, PolicyStore } from "../engine/policy-store.js";
import { GATEWAY_ERRORS, GatewayError } from "../errors.js";
import { Cancellation } from "./cancellation.js";
import { buildCatalog, type Catalog } from "./catalog.js";
import { Dispatcher } from "./dispatch.js";
import { auditIdentity, type CallContext, type Identity } from "./input.js";
import type { GatewayMetrics } from "./metrics.js";
import { ClientSession, type ResponseChannel } from "./session.js";
import type { ShadowEvaluator, ShadowItem } from "./shadow.js";
import type { UpstreamConnection } from "./upstream.js";
import { type UpstreamHealth, UpstreamRegistry } from "./upstreams.js";

/** What the gateway is built from. */
export interface GatewayOptions {
  config: Config;
  /** The enforced policy; reloads swap what it serves. */
  policy: PolicyStore;
  /** Compares every decision with a candidate policy, when shadow mode is on. */
  shadow?: ShadowEvaluator;
  /** Stops what keeps the policies current (watchers, pollers); called at shutdown. */
  closePolicy?: () => Promise<void>;
  audit: AuditLog;
  metrics: GatewayMetrics;
  logger: Logger;
  version: string;
  /** Mints the identity headers of an upstream configured with `identity: { mint }` (auth configured). */
  /** Headers that carry the caller's identity to an upstream (minted or exchanged token); `subjectToken` is the caller's own. */
  mintUpstreamHeaders?: (
    upstream: HttpUpstreamConfig,
    identity: Identity,
    subjectToken: string | undefined,
  ) => Promise<Record<string, string>>;
}

/** `/health/ready`'s document. */
export interface Readiness {
  ready: boolean;
  status: "ok" | "degraded" | "unavailable";
  policy: PolicyStatus & { shadow?: PolicyStatus };
  upstreams: UpstreamHealth[];
  sessions: number;
}

const LIST_CHANGED: Record<string, string> = {
  "notifications/tools/list_changed": "tools/list",
  "notifications/prompts/list_changed": "prompts/list",
  "notifications/resources/list_changed": "resources/list",
};

/** One running gateway. */
export class Gateway {
  readonly config: Config;
  readonly metrics: GatewayMetrics;
  readonly audit: AuditLog;
  readonly logger: Logger;
  readonly sessions = new Map<string, ClientSession>();
  readonly policy: PolicyStore;
  readonly shadow: ShadowEvaluator | undefined;
  private readonly closePolicy: (() => Promise<void>) | undefined;
  private readonly registry: UpstreamRegistry;
  private readonly dispatcher: Dispatcher;
  private readonly version: string;
  /** Bumped whenever any upstream's lists may have changed; sessions rebuild their catalog. */
  private epoch = 0;
  private readonly catalogEpochs = new WeakMap<ClientSession, number>();
  private readonly reaper: NodeJS.Timeout;
  private activeRequests = 0;
  private drained: (() => void) | undefined;
  draining = false;

  constructor(options: GatewayOptions) {
    this.config = options.config;
    this.metrics = options.metrics;
    this.audit = options.audit;
    this.logger = options.logger;
    this.policy = options.policy;
    this.shadow = options.shadow;
    this.closePolicy = options.closePolicy;
    this.version = options.version;
    this.registry = new UpstreamRegistry(
      options.config.upstreams,
      {
        onNotification: (c, n) => this.fromUpstreamNotification(c, n),
        onRequest: (c, r, signal) => this.fromUpstreamRequest(c, r, signal),
        onClose: (c) => this.upstreamChanged(c),
        onStderr: (c, line) => this.logger.debug({ upstream: c.config.name, stderr: line }, "upstream stderr"),
        upstreamHeaders: (c) => this.identityHeaders(c, options.mintUpstreamHeaders),
      },
      this.logger,
      this.version,
      (name, up) => {
        this.metrics.upstreamUp.set({ server: name }, up ? 1 : 0);
        if (up) this.epoch++;
      },
    );
    this.dispatcher = new Dispatcher({
      config: this.config,
      metrics: this.metrics,
      audit: this.audit,
      decider: () => this.policy.decider(),
      ...(options.shadow ? { shadow: (item: ShadowItem) => options.shadow?.submit(item) } : {}),
      catalogFor: (s) => this.catalogFor(s),
      connectionFor: (server, s) => this.registry.connectionFor(server, s),
      upstreamNames: () => this.registry.names,
      onUnexpectedError: (e, where) => this.logger.error({ err: e, where }, "unexpected error"),
    });
    const idle = this.config.limits.session_idle_timeout_ms;
    this.reaper = setInterval(() => this.reapIdleSessions(), Math.min(60_000, Math.max(1000, idle / 4)));
    this.reaper.unref();
  }

  /** Starts a session for an `initialize` request; returns it and the initialize result. */
  initialize(request: JSONRPCRequest, context: CallContext): { session: ClientSession; result: Result } {
    if (this.draining) throw new GatewayError("PORTCULLIS_SHUTTING_DOWN", "the gateway is shutting down");
    if (this.sessions.size >= this.config.limits.max_sessions) {
      throw new GatewayError(
        "PORTCULLIS_SESSION_LIMIT",
        `the gateway holds its maximum of ${this.config.limits.max_sessions} sessions`,
      );
    }
    const params = (request.params ?? {}) as {
      protocolVersion?: unknown;
      capabilities?: unknown;
      clientInfo?: { name?: unknown; version?: unknown };
    };
    const requested = typeof params.protocolVersion === "string" ? params.protocolVersion : LATEST_PROTOCOL_VERSION;
    const version = SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
    const capabilities =
      typeof params.capabilities === "object" && params.capabilities !== null ? params.capabilities : {};
    const clientInfo =
      typeof params.clientInfo?.name === "string" && typeof params.clientInfo.version === "string"
        ? { name: params.clientInfo.name, version: params.clientInfo.version }
        : undefined;
    const session = new ClientSession(randomUUID(), version, capabilities, clientInfo);
    this.sessions.set(session.id, session);
    this.metrics.sessions.set(this.sessions.size);
    this.metrics.requests.inc({ method: "initialize", outcome: "allowed" });
    this.audit.write({
      method: "initialize",
      outcome: "allowed",
      identity: auditIdentity(context.identity),
      session_id: session.id,
      server: null,
      target: clientInfo ? `${clientInfo.name}/${clientInfo.version}` : undefined,
      trace_id: context.traceId,
      duration_ms: 0,
    });
    this.logger.info({ session: session.id, client: clientInfo, protocol: version }, "session started");
    return {
      session,
      result: {
        protocolVersion: version,
        capabilities: {
          tools: { listChanged: true },
          prompts: { listChanged: true },
          resources: { subscribe: true, listChanged: true },
          logging: {},
          completions: {},
        },
        serverInfo: { name: "portcullis", version: this.version },
      },
    };
  }

  /** The session with `id`, if it exists (and marks it active). */
  session(id: string): ClientSession | undefined {
    const session = this.sessions.get(id);
    if (session) session.lastActive = Date.now();
    return session;
  }

  /** Handles a client request; the response goes to `channel`. */
  async handleRequest(
    session: ClientSession,
    request: JSONRPCRequest,
    channel: ResponseChannel,
    context: CallContext,
  ): Promise<void> {
    // Refused before dispatch: neither is a decision, and neither is audited as a call.
    if (session.inflight.has(request.id)) {
      const message = `request id ${String(request.id)} is already in use in this session`;
      channel.finish({ jsonrpc: "2.0", id: request.id, error: { code: ErrorCode.InvalidRequest, message } });
      return;
    }
    if (session.inflight.size >= this.config.limits.max_inflight_per_session) {
      this.metrics.errors.inc({ code: "PORTCULLIS_SESSION_BUSY" });
      const message = `the session already has ${session.inflight.size} requests in flight`;
      const error = {
        code: GATEWAY_ERRORS.PORTCULLIS_SESSION_BUSY.jsonRpcCode,
        message,
        data: { code: "PORTCULLIS_SESSION_BUSY" },
      };
      channel.finish({ jsonrpc: "2.0", id: request.id, error });
      return;
    }
    const abort = new Cancellation();
    session.inflight.set(request.id, { id: request.id, method: request.method, channel, abort });
    this.activeRequests++;
    try {
      const response = await this.dispatcher.handle(session, request, context, abort);
      if (!channel.closed) channel.finish(response);
    } finally {
      session.inflight.delete(request.id);
      session.lastActive = Date.now();
      if (--this.activeRequests === 0) this.drained?.();
    }
  }

  /** Handles a message from the client that is not a request: a notification or a response. */
  handleClientMessage(session: ClientSession, message: JSONRPCMessage): void {
    if ("method" in message) {
      this.fromClientNotification(session, message as JSONRPCNotification);
      return;
    }
    if ("id" in message && message.id !== undefined && ("result" in message || "error" in message)) {
      const outcome = "result" in message ? { result: message.result } : { error: message.error };
      if (!session.resolveClientRequest(message.id, outcome)) {
        this.logger.debug({ session: session.id, id: message.id }, "response to no pending request");
      }
    }
  }

  /** Ends a session and closes its upstream connections. */
  async closeSession(id: string, reason: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    this.metrics.sessions.set(this.sessions.size);
    session.close();
    await this.registry.release(session);
    this.logger.info({ session: id, reason }, "session closed");
  }

  /** `/health/ready`'s document. */
  readiness(): Readiness {
    const upstreams = this.registry.health();
    const down = upstreams.filter((u) => u.state === "down").length;
    const status = this.draining || down === upstreams.length ? "unavailable" : down > 0 ? "degraded" : "ok";
    return {
      ready: status !== "unavailable",
      status,
      policy: { ...this.policy.status(), ...(this.shadow ? { shadow: this.shadow.store.status() } : {}) },
      upstreams,
      sessions: this.sessions.size,
    };
  }

  /** Stops taking requests, lets in-flight ones finish (up to the grace period), closes everything. */
  async shutdown(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    clearInterval(this.reaper);
    if (this.activeRequests > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.config.limits.shutdown_grace_ms);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await Promise.all([...this.sessions.keys()].map((id) => this.closeSession(id, "shutdown")));
    await this.registry.close();
    await this.closePolicy?.();
    await this.shadow?.idle();
  }

  /** For an upstream that receives a minted identity: the headers of its owner session's caller. */
  private identityHeaders(
    connection: UpstreamConnection,
    mint: GatewayOptions["mintUpstreamHeaders"],
  ): (() => Promise<Record<string, string>>) | undefined {
    const upstream = connection.config;
    if (mint === undefined || !isHttpUpstream(upstream) || upstream.identity === "none") return undefined;
    return async () => {
      const owner = connection.ownerSessionId;
      const session = owner === undefined ? undefined : this.sessions.get(owner);
      const identity = session?.identity;
      if (identity === undefined || identity.anonymous) {
        throw new GatewayError("PORTCULLIS_UNAUTHENTICATED", "no authenticated caller to pass to the upstream");
      }
      return mint(upstream, identity, session?.subjectToken);
    };
  }

  // Not async: the cached catalog's promise is handed out as it is, without a wrapper per call.
  private catalogFor(session: ClientSession): Promise<Catalog> {
    if (session.catalog && this.catalogEpochs.get(session) === this.epoch) return session.catalog;
    const epoch = this.epoch;
    const catalog = buildCatalog(
      this.registry.names,
      (server) => this.registry.connectionFor(server, session),
      { mode: this.config.namespacing, separator: this.config.namespace_separator },
      session.id,
      this.config.limits.max_list_pages,
    );
    session.catalog = catalog;
    this.catalogEpochs.set(session, epoch);
    return catalog;
  }

  private fromClientNotification(session: ClientSession, notification: JSONRPCNotification): void {
    const params = (notification.params ?? {}) as Record<string, unknown>;
    switch (notification.method) {
      case "notifications/initialized":
        return;
      case "notifications/cancelled": {
        const id = params.requestId;
        const request = typeof id === "string" || typeof id === "number" ? session.inflight.get(id) : undefined;
        request?.abort.abort(
          new GatewayError("PORTCULLIS_CANCELLED", String(params.reason ?? "cancelled by the client")),
        );
        return;
      }
      case "notifications/roots/list_changed":
        // Upstreams shared with other clients do not see this client's roots change.
        for (const pending of session.connections.values()) {
          void pending.then((c) => c.notify({ method: notification.method })).catch(() => {});
        }
        return;
      default:
        this.logger.debug({ session: session.id, method: notification.method }, "client notification ignored");
    }
  }

  /** The session a message from `connection` belongs to. */
  private sessionOf(connection: UpstreamConnection): ClientSession | undefined {
    const id = connection.ownerSessionId ?? connection.latestCaller();
    return id === undefined ? undefined : this.sessions.get(id);
  }

  private fromUpstreamNotification(connection: UpstreamConnection, notification: Notification): void {
    const listMethod = LIST_CHANGED[notification.method];
    if (listMethod !== undefined) {
      connection.listCache.delete(listMethod);
      if (listMethod === "resources/list") connection.listCache.delete("resources/templates/list");
      this.epoch++;
      this.broadcast(connection, { jsonrpc: "2.0", method: notification.method });
      return;
    }
    const message = { jsonrpc: "2.0" as const, method: notification.method, params: notification.params };
    if (notification.method === "notifications/resources/updated") {
      const uri = (notification.params as { uri?: unknown } | undefined)?.uri;
      for (const session of this.audience(connection)) {
        if (typeof uri === "string" && session.subscriptions.get(uri) === connection.config.name) {
          session.send(message, undefined, true);
        }
      }
      return;
    }
    // Logging and anything else goes to the session of the request it most likely belongs to.
    const session = this.sessionOf(connection);
    session?.send(message, latestRequest(session));
  }

  private async fromUpstreamRequest(
    connection: UpstreamConnection,
    request: Request,
    signal: AbortSignal,
  ): Promise<Result> {
    if (request.method === "ping") return {};
    const session = this.sessionOf(connection);
    if (!session) throw new McpError(ErrorCode.InternalError, "no client session to route the request to");
    const needed: Record<string, keyof typeof session.capabilities> = {
      "sampling/createMessage": "sampling",
      "elicitation/create": "elicitation",
      "roots/list": "roots",
    };
    const capability = needed[request.method];
    if (capability !== undefined && !session.capabilities[capability]) {
      throw new McpError(ErrorCode.MethodNotFound, `the client does not support ${request.method}`);
    }
    try {
      return await session.requestClient(request, latestRequest(session), signal);
    } catch (e) {
      if (e instanceof GatewayError) throw new McpError(e.rpcCode, e.message, e.data);
      throw e;
    }
  }

  private upstreamChanged(connection: UpstreamConnection): void {
    this.epoch++;
    if (this.draining) return;
    this.broadcast(connection, { jsonrpc: "2.0", method: "notifications/tools/list_changed" });
  }

  /** Sessions that see `connection`'s lists: its owner, or everyone for a shared connection. */
  private audience(connection: UpstreamConnection): ClientSession[] {
    if (connection.ownerSessionId === undefined) return [...this.sessions.values()];
    const owner = this.sessions.get(connection.ownerSessionId);
    return owner ? [owner] : [];
  }

  private broadcast(connection: UpstreamConnection, message: JSONRPCMessage): void {
    for (const session of this.audience(connection)) session.send(message, undefined, true);
  }

  private reapIdleSessions(): void {
    const cutoff = Date.now() - this.config.limits.session_idle_timeout_ms;
    for (const session of this.sessions.values()) {
      const busy = session.inflight.size > 0 || (session.standalone !== undefined && !session.standalone.closed);
      if (!busy && session.lastActive < cutoff) void this.closeSession(session.id, "idle");
    }
  }
}

/** The id of the session's most recent request in flight. */
function latestRequest(session: ClientSession): JSONRPCRequest["id"] | undefined {
  let latest: JSONRPCRequest["id"] | undefined;
  for (const id of session.inflight.keys()) latest = id;
  return latest;
}
