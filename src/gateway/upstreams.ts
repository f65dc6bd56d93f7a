/**
 * The upstream registry: gives each client session its connection to each upstream (shared by all
 * sessions, or one per session), connects on demand, backs off after failures, restarts crashed
 * shared processes, stops idle ones, and keeps the state `/health/ready` reports.
 */
import type { ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import type { Pool } from "undici";
import { isHttpUpstream, type UpstreamConfig } from "../config/schema.js";
import { GatewayError } from "../errors.js";
import { upstreamPool } from "./http-transport.js";
import { describe, UpstreamConnection, type UpstreamHandlers } from "./upstream.js";

/** Health of one upstream as `/health/ready` shows it. */
export interface UpstreamHealth {
  name: string;
  transport: "http" | "stdio";
  state: "idle" | "connecting" | "ready" | "down";
  connections: number;
  consecutive_failures: number;
  last_error: string | null;
  /** When the next connection attempt is allowed (ISO 8601), while backing off. */
  retry_at: string | null;
}

/** What a client session holds of its upstreams (the per-client connections). */
export interface UpstreamOwner {
  readonly id: string;
  readonly capabilities: ClientCapabilities;
  readonly connections: Map<string, Promise<UpstreamConnection>>;
}

interface Slot {
  config: UpstreamConfig;
  shared?: Promise<UpstreamConnection>;
  live: Set<UpstreamConnection>;
  state: UpstreamHealth["state"];
  failures: number;
  lastError: string | null;
  retryAt: number;
  idleTimer?: NodeJS.Timeout;
  restartTimer?: NodeJS.Timeout;
  pool?: Pool;
}

/** Capabilities a shared connection declares: it may serve any client. */
const SHARED_CAPABILITIES: ClientCapabilities = { sampling: {}, elicitation: {}, roots: { listChanged: true } };

/** Events the registry reports to the gateway (logging). */
export interface UpstreamLog {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
}

/** All upstreams of one gateway. */
export class UpstreamRegistry {
  private readonly slots = new Map<string, Slot>();
  private stopping = false;

  constructor(
    configs: UpstreamConfig[],
    private readonly handlers: UpstreamHandlers,
    private readonly log: UpstreamLog,
    private readonly version: string,
    private readonly onStateChange: (name: string, up: boolean) => void = () => {},
  ) {
    for (const config of configs) {
      this.slots.set(config.name, {
        config,
        live: new Set(),
        state: "idle",
        failures: 0,
        lastError: null,
        retryAt: 0,
        pool: isHttpUpstream(config) ? upstreamPool(config.url) : undefined,
      });
    }
  }

  /** Upstream names in configuration order. */
  get names(): string[] {
    return [...this.slots.keys()];
  }

  /** The connection `owner` uses for upstream `name`, connecting it when needed. */
  connectionFor(name: string, owner: UpstreamOwner): Promise<UpstreamConnection> {
    const slot = this.slots.get(name);
    if (!slot) return Promise.reject(new GatewayError("PORTCULLIS_NOT_FOUND", `unknown upstream "${name}"`));
    if (this.stopping)
      return Promise.reject(new GatewayError("PORTCULLIS_SHUTTING_DOWN", "the gateway is shutting down"));
    this.touch(slot);
    const shared = slot.config.sessions === "shared";
    const existing = shared ? slot.shared : owner.connections.get(name);
    if (existing) return existing;
    // While backing off, refuse without caching the refusal: the next attempt after it must connect.
    const refusal = this.backoffRefusal(slot);
    if (refusal) return Promise.reject(refusal);
    if (shared) return this.openShared(slot);
    const pending: Promise<UpstreamConnection> = this.open(slot, owner.capabilities, owner.id, () => {
      if (owner.connections.get(name) === pending) owner.connections.delete(name);
    });
    owner.connections.set(name, pending);
    return pending;
  }

  /** Connects the one connection of a shared upstream; it forgets itself when it closes or fails. */
  private openShared(slot: Slot): Promise<UpstreamConnection> {
    const pending: Promise<UpstreamConnection> = this.open(slot, SHARED_CAPABILITIES, undefined, () => {
      if (slot.shared === pending) slot.shared = undefined;
    });
    slot.shared = pending;
    return pending;
  }

  /** The error to answer with while upstream `slot` is backing off after a failure. */
  private backoffRefusal(slot: Slot): GatewayError | undefined {
    const now = Date.now();
    if (slot.retryAt <= now) return undefined;
    return new GatewayError(
      "PORTCULLIS_UPSTREAM_UNAVAILABLE",
      `upstream "${slot.config.name}" is unavailable (${slot.lastError ?? "failed"}); retrying in ${Math.ceil((slot.retryAt - now) / 1000)} s`,
    );
  }

  /** Closes the per-client connections of a session that ended. */
  async release(owner: UpstreamOwner): Promise<void> {
    const pending = [...owner.connections.values()];
    owner.connections.clear();
    await Promise.all(pending.map((p) => p.then((c) => c.close()).catch(() => {})));
  }

  /** Health of every upstream. */
  health(): UpstreamHealth[] {
    return [...this.slots.values()].map((slot) => ({
      name: slot.config.name,
      transport: "url" in slot.config ? "http" : "stdio",
      state: slot.state,
      connections: slot.live.size,
      consecutive_failures: slot.failures,
      last_error: slot.lastError,
      retry_at: slot.retryAt > Date.now() ? new Date(slot.retryAt).toISOString() : null,
    }));
  }

  /** Closes every connection (stops stdio processes) and refuses new ones. */
  async close(): Promise<void> {
    this.stopping = true;
    const all: Promise<void>[] = [];
    for (const slot of this.slots.values()) {
      clearTimeout(slot.idleTimer);
      clearTimeout(slot.restartTimer);
      for (const c of slot.live) all.push(c.close());
    }
    await Promise.all(all);
    await Promise.all([...this.slots.values()].map((slot) => slot.pool?.destroy().catch(() => {})));
  }

  private open(
    slot: Slot,
    capabilities: ClientCapabilities,
    ownerSessionId: string | undefined,
    forget: () => void,
  ): Promise<UpstreamConnection> {
    if (slot.state !== "ready") slot.state = "connecting";
    const handlers: UpstreamHandlers = {
      ...this.handlers,
      onClose: (connection, unexpected) => {
        slot.live.delete(connection);
        forget();
        if (unexpected && !this.stopping)
          this.failed(slot, `connection lost (${connection.transportKind === "stdio" ? "process exited" : "closed"})`);
        else if (slot.live.size === 0 && slot.state === "ready") slot.state = "idle";
        this.handlers.onClose(connection, unexpected);
      },
    };
    const connection = new UpstreamConnection(
      slot.config,
      capabilities,
      handlers,
      this.version,
      ownerSessionId,
      slot.pool,
    );
    return connection.connect().then(
      () => {
        if (this.stopping) {
          void connection.close();
          throw new GatewayError("PORTCULLIS_SHUTTING_DOWN", "the gateway is shutting down");
        }
        slot.live.add(connection);
        if (slot.state !== "ready" || slot.failures > 0)
          this.log.info({ upstream: slot.config.name }, "upstream connected");
        slot.state = "ready";
        slot.failures = 0;
        slot.lastError = null;
        slot.retryAt = 0;
        this.onStateChange(slot.config.name, true);
        return connection;
      },
      (e: unknown) => {
        forget();
        this.failed(slot, describe(e));
        throw e;
      },
    );
  }

  private failed(slot: Slot, reason: string): void {
    const config = slot.config;
    slot.failures += 1;
    slot.state = "down";
    slot.lastError = reason;
    const base = "restart_backoff_ms" in config ? config.restart_backoff_ms : 500;
    const max = "restart_backoff_max_ms" in config ? config.restart_backoff_max_ms : 30_000;
    const delay = Math.min(max, base * 2 ** Math.min(slot.failures - 1, 20));
    slot.retryAt = Date.now() + delay;
    this.onStateChange(config.name, false);
    this.log.warn({ upstream: config.name, failures: slot.failures, retry_in_ms: delay, reason }, "upstream down");
    // A crashed shared process comes back by itself, so its tools reappear without a client's help.
    if (config.sessions === "shared" && !this.stopping) {
      clearTimeout(slot.restartTimer);
      slot.restartTimer = setTimeout(() => {
        if (slot.shared || this.stopping) return;
        this.openShared(slot).catch(() => {});
      }, delay + 5);
      slot.restartTimer.unref();
    }
  }

  /** Restarts the idle timer of a stdio upstream. */
  private touch(slot: Slot): void {
    const idle = "idle_timeout_ms" in slot.config ? slot.config.idle_timeout_ms : 0;
    if (idle <= 0 || slot.config.sessions !== "shared") return;
    if (slot.idleTimer) {
      slot.idleTimer.refresh();
      return;
    }
    slot.idleTimer = setTimeout(() => this.stopIfIdle(slot, idle), idle);
    slot.idleTimer.unref();
  }

  private stopIfIdle(slot: Slot, idle: number): void {
    slot.idleTimer = undefined;
    const pending = slot.shared;
    if (!pending) return;
    void pending.then(
      (connection) => {
        if (connection.inflight > 0) {
          slot.idleTimer = setTimeout(() => this.stopIfIdle(slot, idle), idle);
          slot.idleTimer.unref();
          return;
        }
        this.log.info({ upstream: slot.config.name }, "stopping idle upstream");
        slot.shared = undefined;
        void connection.close();
      },
      () => {},
    );
  }
}
