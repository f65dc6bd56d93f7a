/**
 * Prometheus metrics (prom-client) on a registry of the gateway's own, so that two gateways in one
 * process (tests) do not share counters.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

const LATENCY_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** The gateway's metrics. */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: "portcullis_requests_total",
    help: "Client JSON-RPC requests by method and outcome (allowed, denied, error)",
    labelNames: ["method", "outcome"] as const,
    registers: [this.registry],
  });
  readonly decisions = new Counter({
    name: "portcullis_decisions_total",
    help: "Policy decisions by phase and outcome (allow, deny, error)",
    labelNames: ["phase", "outcome"] as const,
    registers: [this.registry],
  });
  readonly decisionSeconds = new Histogram({
    name: "portcullis_decision_duration_seconds",
    help: "Time to evaluate one policy decision",
    labelNames: ["phase"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly upstreamSeconds = new Histogram({
    name: "portcullis_upstream_duration_seconds",
    help: "Time an upstream took to answer a forwarded request",
    labelNames: ["server", "method"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: "portcullis_errors_total",
    help: "Errors returned to clients, by code",
    labelNames: ["code"] as const,
    registers: [this.registry],
  });
  readonly sessions = new Gauge({
    name: "portcullis_sessions",
    help: "Open client sessions",
    registers: [this.registry],
  });
  readonly upstreamUp = new Gauge({
    name: "portcullis_upstream_up",
    help: "1 when the upstream's last connection attempt succeeded, 0 when it failed",
    labelNames: ["server"] as const,
    registers: [this.registry],
  });

  readonly policyReloads = new Counter({
    name: "portcullis_policy_reloads_total",
    help: "Policy reloads by policy (active, shadow) and outcome (success, failure, unchanged)",
    labelNames: ["policy", "outcome"] as const,
    registers: [this.registry],
  });
  readonly policyRevision = new Gauge({
    name: "portcullis_policy_revision_info",
    help: "1 for the revision each policy (active, shadow) is serving",
    labelNames: ["policy", "revision"] as const,
    registers: [this.registry],
  });
  readonly policyLastReload = new Gauge({
    name: "portcullis_policy_last_successful_reload_timestamp_seconds",
    help: "When each policy (active, shadow) last swapped in a new compiled bundle",
    labelNames: ["policy"] as const,
    registers: [this.registry],
  });
  readonly shadowDifferences = new Counter({
    name: "portcullis_shadow_differences_total",
    help: "Decisions where the shadow policy's allow or reasons differ from the enforced one, by phase",
    labelNames: ["phase"] as const,
    registers: [this.registry],
  });
  readonly shadowSkipped = new Counter({
    name: "portcullis_shadow_skipped_total",
    help: "Decisions not evaluated by the shadow policy because its queue was full",
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "portcullis_" });
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
