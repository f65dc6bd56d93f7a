/**
 * Builds a PolicyStore from the `policy` configuration and keeps it current: a bundle on disk is
 * watched (chokidar, debounced), a bundle server URL is polled with ETags. Metrics are wired here
 * so the engine stays free of the gateway's metrics.
 */
import type { Logger } from "pino";
import { HttpBundleSource, type Poller, startPolling } from "../bundle/http-source.js";
import { type BundleReader, type BundleWatch, loadBundleStable, watchBundle } from "../bundle/watch.js";
import { isBundleUrl, type PolicySourceConfig } from "../config/policy-source.js";
import { type BundleLoader, PolicyStore } from "../engine/policy-store.js";
import { GatewayError } from "../errors.js";
import type { GatewayMetrics } from "./metrics.js";

/** A store with the triggers that reload it. */
export interface ManagedPolicy {
  store: PolicyStore;
  /** Stops watching/polling and aborts a load in progress. */
  close(): Promise<void>;
}

/** What a policy is opened with. */
export interface OpenPolicyOptions {
  /** "active" (enforced) or "shadow" (compared only). */
  role: "active" | "shadow";
  bundle: string;
  entrypoint: string;
  config: PolicySourceConfig;
  metrics: GatewayMetrics;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Reads one bundle file or directory, e.g. `(p) => loadBundleVerified(p, { verification })`; default `loadBundle`. */
  read?: BundleReader;
  /** Replaces the whole loader (tests). */
  load?: BundleLoader;
}

/** Loads the policy (throws GatewayError when the first load fails) and starts its triggers. */
export async function openPolicy(options: OpenPolicyOptions): Promise<ManagedPolicy> {
  const { role, bundle, config, metrics, logger } = options;
  const remote = isBundleUrl(bundle);
  const read = options.read;
  const http = remote
    ? new HttpBundleSource({
        ...httpSourceOptions(bundle, config, options.env ?? process.env),
        ...(read ? { read } : {}),
      })
    : undefined;
  const load: BundleLoader = options.load ?? http?.load ?? (() => loadBundleStable(bundle, read));
  const store = new PolicyStore({
    entrypoint: options.entrypoint,
    timeoutMs: config.timeout_ms,
    source: http ? redactUrl(bundle) : bundle,
    load,
    logger,
    name: role,
    observer: {
      reloaded: (outcome) => metrics.policyReloads.inc({ policy: role, outcome }),
      activated: (revision, previous) => {
        if (previous !== undefined && previous !== revision)
          metrics.policyRevision.remove({ policy: role, revision: previous });
        metrics.policyRevision.set({ policy: role, revision }, 1);
        metrics.policyLastReload.set({ policy: role }, Date.now() / 1000);
      },
    },
  });
  await store.start();
  let watcher: BundleWatch | undefined;
  let poller: Poller | undefined;
  if (http) {
    poller = startPolling({
      minDelayMs: config.polling.min_delay_seconds * 1000,
      maxDelayMs: config.polling.max_delay_seconds * 1000,
      poll: async () => (await store.reload()).outcome !== "failure",
    });
  } else if (config.watch) {
    watcher = watchBundle(bundle, {
      debounceMs: config.watch_debounce_ms,
      onChange: () => void store.reload(),
      onError: (e) => logger.warn({ policy: role, bundle, error: e.message }, "bundle watch error"),
    });
    await watcher.ready;
  }
  return {
    store,
    async close() {
      poller?.stop();
      await watcher?.close();
      store.close();
    },
  };
}

/** The HTTP source settings from config; the bearer token is read from the environment now. */
function httpSourceOptions(url: string, config: PolicySourceConfig, env: NodeJS.ProcessEnv) {
  const headers: Record<string, string> = { ...config.headers };
  const bearer = config.credentials?.bearer;
  if (bearer) {
    const token = env[bearer.token_env];
    if (token === undefined || token === "") {
      throw new GatewayError(
        "PORTCULLIS_CONFIG_INVALID",
        `policy.credentials.bearer.token_env: the environment variable ${bearer.token_env} is not set`,
      );
    }
    headers.authorization = `${bearer.scheme} ${token}`;
  }
  return { url, headers, timeoutMs: config.download_timeout_ms, maxBytes: config.max_download_bytes };
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(bundle server)";
  }
}
