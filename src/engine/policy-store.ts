/**
 * The policy in force, kept current. A new bundle is loaded (and verified, by the injected
 * loader), compiled, and only then swapped in with one reference assignment, so every decision is
 * made wholly by one compiled revision. A load or compile that fails leaves the last good policy
 * serving; it is logged, counted and kept as `lastError`. Reloads run one at a time; triggers that
 * arrive while one runs are coalesced into a single follow-up reload.
 */
import type { Logger } from "pino";
import { type Bundle, loadBundle } from "../bundle/load.js";
import { GatewayError } from "../errors.js";
import { type Json, moduleOutline, RegoError } from "../rego/index.js";
import { Decider } from "./decider.js";

/** Reads (and verifies) the bundle; returning the very same object as last time means "unchanged". */
export type BundleLoader = (signal?: AbortSignal) => Promise<Bundle>;

/** How a reload ended. */
export type ReloadOutcome = "success" | "failure" | "unchanged";

/** What a reload did. */
export interface ReloadResult {
  outcome: ReloadOutcome;
  /** The revision serving after the reload. */
  revision: string;
  error?: string;
}

/** The last failed load, as readiness shows it. */
export interface PolicyLoadError {
  time: string;
  message: string;
  source: string;
}

/** The store's state for `/health/ready`. */
export interface PolicyStatus {
  loaded: boolean;
  revision: string;
  entrypoint: string;
  source: string;
  /** When the active policy was swapped in (ISO 8601). */
  loaded_at: string | null;
  /** When a reload last succeeded (the first load counts). */
  last_success: string | null;
  last_error: PolicyLoadError | null;
  reloads: Record<ReloadOutcome, number>;
}

/** Callbacks for metrics, so that the engine does not depend on the gateway's metrics. */
export interface PolicyStoreObserver {
  reloaded?(outcome: ReloadOutcome): void;
  activated?(revision: string, previous: string | undefined): void;
}

/** What a store is built from. */
export interface PolicyStoreOptions {
  entrypoint: string;
  timeoutMs: number;
  /** Where the bundle comes from (shown in logs and errors). */
  source: string;
  /** Defaults to reading `source` with `loadBundle`. */
  load?: BundleLoader;
  logger: Logger;
  observer?: PolicyStoreObserver;
  /** Names the store in logs (e.g. "active", "shadow"). */
  name?: string;
}

type Task = { kind: "reload" | "recompile"; promise: Promise<ReloadResult> };

/** Holds the active compiled policy and replaces it safely. */
export class PolicyStore {
  readonly entrypoint: string;
  readonly source: string;
  private active: Decider | undefined;
  private bundle: Bundle | undefined;
  private readonly runtimeData = new Map<string, Json>();
  private readonly load: BundleLoader;
  private readonly logger: Logger;
  private readonly observer: PolicyStoreObserver;
  private readonly timeoutMs: number;
  private readonly name: string;
  private chain: Promise<unknown> = Promise.resolve();
  private pending: Task | undefined;
  private loadedAt: string | null = null;
  private lastSuccess: string | null = null;
  private lastError: PolicyLoadError | null = null;
  private lastThrown: unknown;
  private readonly counts: Record<ReloadOutcome, number> = { success: 0, failure: 0, unchanged: 0 };
  private readonly abort = new AbortController();

  constructor(options: PolicyStoreOptions) {
    this.entrypoint = options.entrypoint;
    this.timeoutMs = options.timeoutMs;
    this.source = options.source;
    this.load = options.load ?? (async () => loadBundle(options.source));
    this.logger = options.logger;
    this.observer = options.observer ?? {};
    this.name = options.name ?? "active";
  }

  /** The compiled policy serving now; a caller keeps this snapshot for the whole of one call. */
  decider(): Decider {
    if (!this.active) throw new GatewayError("PORTCULLIS_POLICY_INVALID", `${this.source}: no policy is loaded`);
    return this.active;
  }

  /** Whether a policy has been loaded. */
  get loaded(): boolean {
    return this.active !== undefined;
  }

  /** The first load: like `reload`, but a failure throws (there is no last good policy to keep). */
  async start(): Promise<void> {
    const result = await this.reload();
    if (result.outcome === "failure" && !this.active) {
      // The loader's or compiler's own error, with its code (bundle invalid, signature, policy invalid).
      if (this.lastThrown instanceof GatewayError) throw this.lastThrown;
      throw new GatewayError("PORTCULLIS_POLICY_INVALID", result.error ?? `${this.source}: cannot load the policy`);
    }
  }

  /** Takes an already loaded bundle as the first policy (synchronous start; throws when it does not compile). */
  startWith(bundle: Bundle): void {
    const decider = this.compile(bundle);
    this.activate(bundle, decider);
    this.counts.success++;
    this.observer.reloaded?.("success");
  }

  /** Loads, compiles and swaps in the bundle; queued behind a running reload, coalesced with other queued ones. */
  reload(): Promise<ReloadResult> {
    return this.schedule("reload");
  }

  /**
   * Sets gateway-maintained data at `data.<root>` (root: `a/b` or `a.b`), merged into every bundle;
   * resolves once a policy with it serves. Refused when the bundle owns that path.
   */
  async setRuntimeData(root: string, value: Json): Promise<void> {
    const path = splitRoot(root);
    const key = path.join("/");
    if (this.bundle) {
      const conflict = runtimeConflict(this.bundle, path);
      if (conflict) throw new GatewayError("PORTCULLIS_RUNTIME_DATA_CONFLICT", `data.${path.join(".")}: ${conflict}`);
    }
    const had = this.runtimeData.has(key);
    const previous = this.runtimeData.get(key);
    this.runtimeData.set(key, value);
    const result = await this.schedule("recompile");
    if (result.outcome === "failure" && this.runtimeData.get(key) === value) {
      if (had) this.runtimeData.set(key, previous as Json);
      else this.runtimeData.delete(key);
      throw new GatewayError("PORTCULLIS_RUNTIME_DATA_CONFLICT", result.error ?? "the runtime data was refused");
    }
  }

  /** Readiness view. */
  status(): PolicyStatus {
    return {
      loaded: this.active !== undefined,
      revision: this.active?.revision ?? "",
      entrypoint: this.entrypoint,
      source: this.source,
      loaded_at: this.loadedAt,
      last_success: this.lastSuccess,
      last_error: this.lastError,
      reloads: { ...this.counts },
    };
  }

  /** Aborts a load in progress (the loader sees the signal) and refuses further work. */
  close(): void {
    this.abort.abort();
  }

  private schedule(kind: Task["kind"]): Promise<ReloadResult> {
    const queued = this.pending;
    if (queued) {
      // A reload reads the bundle and re-applies runtime data, so it covers a queued recompile too.
      if (kind === "reload") queued.kind = "reload";
      return queued.promise;
    }
    const task: Task = { kind, promise: Promise.resolve(undefined as unknown as ReloadResult) };
    task.promise = this.chain.then(() => {
      this.pending = undefined;
      return task.kind === "reload" ? this.runReload() : this.runRecompile();
    });
    this.pending = task;
    this.chain = task.promise.catch(() => undefined);
    return task.promise;
  }

  private async runReload(): Promise<ReloadResult> {
    if (this.abort.signal.aborted) return this.fail(new Error("the policy store is closed"));
    let bundle: Bundle;
    try {
      bundle = await this.load(this.abort.signal);
    } catch (e) {
      return this.fail(e);
    }
    if (bundle === this.bundle && this.active) {
      this.counts.unchanged++;
      this.observer.reloaded?.("unchanged");
      return { outcome: "unchanged", revision: this.active.revision };
    }
    return this.swapIn(bundle);
  }

  private async runRecompile(): Promise<ReloadResult> {
    if (!this.bundle) return { outcome: "unchanged", revision: "" };
    return this.swapIn(this.bundle);
  }

  private swapIn(bundle: Bundle): ReloadResult {
    let decider: Decider;
    try {
      decider = this.compile(bundle);
    } catch (e) {
      return this.fail(e);
    }
    const previous = this.active?.revision;
    this.activate(bundle, decider);
    this.counts.success++;
    this.observer.reloaded?.("success");
    this.logger.info(
      { policy: this.name, source: this.source, revision: decider.revision, previous },
      previous === undefined ? "policy loaded" : "policy reloaded",
    );
    return { outcome: "success", revision: decider.revision };
  }

  /** Builds the Decider for `bundle` plus the runtime data; throws GatewayError. */
  private compile(bundle: Bundle): Decider {
    let data = bundle.data;
    for (const [key, value] of this.runtimeData) {
      const path = key.split("/");
      const conflict = runtimeConflict(bundle, path);
      if (conflict) {
        throw new GatewayError(
          "PORTCULLIS_RUNTIME_DATA_CONFLICT",
          `${bundle.source}: data.${path.join(".")} is maintained by the gateway, but ${conflict}`,
        );
      }
      data = withValueAt(data, path, value);
    }
    const input = data === bundle.data ? bundle : { ...bundle, data };
    return new Decider(input, { entrypoint: this.entrypoint, timeoutMs: this.timeoutMs });
  }

  private activate(bundle: Bundle, decider: Decider): void {
    const previous = this.active?.revision;
    // The swap: one assignment; calls that took the previous Decider finish with it.
    this.active = decider;
    this.bundle = bundle;
    const now = new Date().toISOString();
    this.loadedAt = now;
    this.lastSuccess = now;
    this.observer.activated?.(decider.revision, previous);
  }

  private fail(e: unknown): ReloadResult {
    this.lastThrown = e;
    const message =
      e instanceof GatewayError ? `${e.code}: ${e.message}` : `reload failed: ${(e as Error)?.message ?? String(e)}`;
    this.lastError = { time: new Date().toISOString(), message, source: this.source };
    this.counts.failure++;
    this.observer.reloaded?.("failure");
    // The message names the file and the problem; never a stack trace, and loaders put no secrets in it.
    this.logger.error(
      { policy: this.name, source: this.source, error: message, revision: this.active?.revision },
      this.active ? "policy reload failed; the last good policy keeps serving" : "policy load failed",
    );
    return { outcome: "failure", revision: this.active?.revision ?? "", error: message };
  }
}

/** `a/b`, `a.b` or `data.a.b` as path segments; throws on an empty or malformed root. */
function splitRoot(root: string): string[] {
  const trimmed = root.replace(/^data[./]/, "");
  const path = trimmed.split(/[./]/);
  if (trimmed === "" || path.some((p) => !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(p))) {
    throw new GatewayError("PORTCULLIS_RUNTIME_DATA_CONFLICT", `"${root}" is not a data path like revocations/tokens`);
  }
  return path;
}

function isPrefix(prefix: string[], path: string[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}

/**
 * Why the bundle owns `path`, or undefined. Explicit manifest roots own their subtrees; a bundle
 * with the default root ("" = everything) is only refused where it actually defines data or a
 * package on that path, since otherwise no bundle without a manifest could take runtime data.
 */
function runtimeConflict(bundle: Bundle, path: string[]): string | undefined {
  const shown = path.join("/");
  for (const root of bundle.roots) {
    if (root === "") continue;
    const segments = root.split("/");
    if (isPrefix(segments, path) || isPrefix(path, segments))
      return `the bundle's manifest root "${root}" owns ${shown}`;
  }
  let node: Json | undefined = bundle.data;
  for (const key of path) {
    if (typeof node !== "object" || node === null || Array.isArray(node)) {
      node = undefined;
      break;
    }
    node = node[key];
  }
  if (node !== undefined) return `the bundle defines data at ${shown}`;
  for (const [file, source] of Object.entries(bundle.modules)) {
    let pkg: string[];
    try {
      pkg = moduleOutline(file, source).package;
    } catch (e) {
      if (e instanceof RegoError) continue; // compile reports it
      throw e;
    }
    if (isPrefix(pkg, path) || isPrefix(path, pkg)) return `package ${pkg.join(".")} in ${file} overlaps ${shown}`;
  }
  return undefined;
}

/** A copy of `data` with `value` at `path`, copying only the objects along the path. */
function withValueAt(data: { [key: string]: Json }, path: string[], value: Json): { [key: string]: Json } {
  const [head, ...rest] = path;
  if (head === undefined) return data;
  if (rest.length === 0) return { ...data, [head]: value };
  const child = data[head];
  const base = typeof child === "object" && child !== null && !Array.isArray(child) ? child : {};
  return { ...data, [head]: withValueAt(base, rest, value) };
}
