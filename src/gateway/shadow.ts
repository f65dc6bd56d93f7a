/**
 * Shadow mode: a candidate policy evaluated beside the enforced one on every decision, never
 * enforced. Evaluation is deferred (setImmediate, in batches) so that the response is never held
 * up by it; the queue is bounded so a slow candidate cannot grow memory under load. Differences in
 * allow or reasons go to the audit log as "shadow decision differs" and to a metric.
 */
import type { Logger } from "pino";
import type { Decision } from "../engine/decider.js";
import type { PolicyStore } from "../engine/policy-store.js";
import type { Json } from "../rego/index.js";
import type { GatewayMetrics } from "./metrics.js";

/** What the audit log gets for a difference. */
export interface ShadowDifference {
  phase: "request" | "response" | "list";
  method: string;
  server: string | null;
  target: string | undefined;
  session_id: string | null;
  trace_id: string | undefined;
  decision_id: string;
  shadow_decision_id: string;
  policy_revision: string;
  shadow_revision: string;
  outcome: { allow: boolean; reasons: string[]; error?: string };
  shadow_outcome: { allow: boolean; reasons: string[]; error?: string };
}

/** One decision to compare. */
export interface ShadowItem {
  phase: ShadowDifference["phase"];
  method: string;
  server: string | null;
  target: string | undefined;
  sessionId: string | null;
  traceId: string | undefined;
  input: Json;
  decision: Decision;
}

const MAX_QUEUE = 10_000;
const BATCH = 256;

/** Compares decisions with the shadow policy, off the request path. */
export class ShadowEvaluator {
  private queue: ShadowItem[] = [];
  private scheduled = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly store: PolicyStore,
    private readonly write: (difference: ShadowDifference) => void,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
  ) {}

  /** Queues one enforced decision for comparison; O(1) on the caller's path. */
  submit(item: ShadowItem): void {
    if (this.queue.length >= MAX_QUEUE) {
      this.metrics.shadowSkipped.inc();
      return;
    }
    this.queue.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  /** Resolves when every queued decision has been compared (tests, shutdown). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private drain(): void {
    const batch = this.queue.splice(0, BATCH);
    for (const item of batch) {
      try {
        this.compare(item);
      } catch (e) {
        this.logger.warn({ error: (e as Error).message }, "shadow evaluation failed");
      }
    }
    if (this.queue.length > 0) {
      setImmediate(() => this.drain());
      return;
    }
    this.scheduled = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private compare(item: ShadowItem): void {
    if (!this.store.loaded) return;
    const shadow = this.store.decider().decide(item.input);
    const enforced = item.decision;
    if (shadow.allow === enforced.allow && sameReasons(shadow.reasons, enforced.reasons)) return;
    this.metrics.shadowDifferences.inc({ phase: item.phase });
    this.write({
      phase: item.phase,
      method: item.method,
      server: item.server,
      target: item.target,
      session_id: item.sessionId,
      trace_id: item.traceId,
      decision_id: enforced.id,
      shadow_decision_id: shadow.id,
      policy_revision: enforced.revision,
      shadow_revision: shadow.revision,
      outcome: outcomeOf(enforced),
      shadow_outcome: outcomeOf(shadow),
    });
  }
}

function outcomeOf(d: Decision): ShadowDifference["outcome"] {
  return { allow: d.allow, reasons: d.reasons, ...(d.error === undefined ? {} : { error: d.error }) };
}

/** Reasons compared as sets: their order carries no meaning. */
function sameReasons(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const sorted = [...b].sort();
  return [...a].sort().every((r, i) => r === sorted[i]);
}
