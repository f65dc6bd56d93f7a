/**
 * Policy decisions for the gateway: compiles a bundle once, then evaluates the entrypoint for each
 * input. Fails closed: an undefined decision, a malformed one, or an evaluation error is a deny.
 */
import { randomUUID } from "node:crypto";
import type { Bundle } from "../bundle/load.js";
import { GatewayError } from "../errors.js";
import { compile, type Json, type PreparedQuery, RegoError } from "../rego/index.js";

/** The outcome of one evaluation, normalised. */
export interface Decision {
  /** Unique id, reported to the client on deny and written to the audit record. */
  id: string;
  allow: boolean;
  reasons: string[];
  /** Labels the policy adds to the session. */
  labels: string[];
  /** The policy revision that made the decision. */
  revision: string;
  /** Scopes the call needs (`required_scopes`): a deny naming scopes the token lacks is a step-up (HTTP 403). */
  requiredScopes?: string[];
  /** Set when the policy failed or returned no usable decision (the decision is then a deny). */
  error?: string;
  durationMs: number;
}

/** A compiled policy bundle with its entrypoint. */
export class Decider {
  readonly revision: string;
  readonly entrypoint: string;
  private readonly prepared: PreparedQuery;
  private readonly timeoutMs: number;

  /** Compiles the bundle; throws GatewayError(PORTCULLIS_POLICY_INVALID) with the engine's message. */
  constructor(bundle: Bundle, options: { entrypoint: string; timeoutMs: number }) {
    this.revision = bundle.revision;
    this.entrypoint = options.entrypoint;
    this.timeoutMs = options.timeoutMs;
    try {
      const policy = compile({ modules: bundle.modules, data: bundle.data });
      this.prepared = policy.prepare(`data.${options.entrypoint.split("/").join(".")} = decision`);
    } catch (e) {
      if (e instanceof RegoError) {
        const loc = e.location ? `${e.location.file}:${e.location.row}:${e.location.col}: ` : "";
        throw new GatewayError("PORTCULLIS_POLICY_INVALID", `${bundle.source}: ${loc}${e.code}: ${e.message}`, {
          cause: e,
        });
      }
      throw e;
    }
  }

  /** Evaluates the entrypoint with `input`; never throws. */
  decide(input: Json): Decision {
    const started = performance.now();
    const id = randomUUID();
    let value: Json | undefined;
    let error: string | undefined;
    try {
      const results = this.prepared.query({ input, timeoutMs: this.timeoutMs });
      if (results.length === 1) value = results[0]?.decision;
      else if (results.length > 1) error = "the decision has more than one value";
    } catch (e) {
      error = e instanceof RegoError ? `${e.code}: ${e.message}` : `policy evaluation failed: ${(e as Error).message}`;
    }
    const durationMs = performance.now() - started;
    if (error !== undefined)
      return { id, allow: false, reasons: ["policy error"], labels: [], revision: this.revision, error, durationMs };
    if (value === undefined) {
      return {
        id,
        allow: false,
        reasons: ["no decision"],
        labels: [],
        revision: this.revision,
        error: "the decision is undefined",
        durationMs,
      };
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return {
        id,
        allow: false,
        reasons: ["policy error"],
        labels: [],
        revision: this.revision,
        error: "the decision is not an object",
        durationMs,
      };
    }
    const decision: Decision = {
      id,
      allow: value.allow === true,
      reasons: stringList(value.reasons),
      labels: stringList(value.labels),
      revision: this.revision,
      durationMs,
    };
    if (value.required_scopes !== undefined) decision.requiredScopes = stringList(value.required_scopes);
    return decision;
  }
}

function stringList(value: Json | undefined): string[] {
  if (!Array.isArray(value)) return typeof value === "string" ? [value] : [];
  return value.map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
}
