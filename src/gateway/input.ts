/**
 * The policy input document (schema in docs/schemas/policy-input.schema.json) and the caller's
 * identity and trace context it is built from.
 */
import { randomFillSync } from "node:crypto";
import { type AuditRecord, isoNow } from "../audit/audit.js";
import type { AuthenticatedIdentity } from "../auth/identity.js";
import type { Json } from "../rego/index.js";

/**
 * Who is calling: from the bearer token when `auth` is configured (src/auth/identity.ts), else
 * anonymous, with the same fields (issuer null, delegation [], expires_at null).
 */
export type Identity = Omit<AuthenticatedIdentity, "subject" | "anonymous"> & {
  subject: string | null;
  anonymous: boolean;
};

/** The identity of callers while no authentication is configured. */
export function anonymousIdentity(anonymous: { subject: string | null; groups: string[] }): Identity {
  return {
    subject: anonymous.subject,
    anonymous: true,
    groups: anonymous.groups,
    client_id: null,
    scopes: [],
    email: null,
    name: null,
    issuer: null,
    delegation: [],
    expires_at: null,
  };
}

/** The part of an identity an audit record carries (issuer and delegation only when there are any). */
export function auditIdentity(identity: Identity): AuditRecord["identity"] {
  const audited: AuditRecord["identity"] = {
    subject: identity.subject,
    anonymous: identity.anonymous,
    groups: identity.groups,
    client_id: identity.client_id,
  };
  if (identity.issuer !== null) audited.issuer = identity.issuer;
  if (identity.delegation.length > 0) audited.delegation = identity.delegation;
  return audited;
}

/** Per-request context: the caller and the W3C trace. */
export interface CallContext {
  identity: Identity;
  traceId: string;
  /** The traceparent to send upstream: the client's trace id with a span id of the gateway's. */
  traceparent: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE_ID = "0".repeat(32);
const ZERO_SPAN_ID = "0".repeat(16);

/**
 * Random bytes for trace and span ids, drawn from the CSPRNG a pool at a time: one call per 256
 * requests instead of two per request (each id is 16 or 8 bytes as hex).
 */
const RANDOM_POOL_BYTES = 6144;
const randomPool = Buffer.alloc(RANDOM_POOL_BYTES);
let randomOffset = RANDOM_POOL_BYTES;

function randomHex(bytes: number): string {
  if (randomOffset + bytes > RANDOM_POOL_BYTES) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  const hex = randomPool.toString("hex", randomOffset, randomOffset + bytes);
  randomOffset += bytes;
  return hex;
}

/** Continues the client's W3C trace when its `traceparent` is valid, else starts a new one. */
export function traceFrom(header: string | undefined): { traceId: string; traceparent: string } {
  const span = randomHex(8);
  const match = header === undefined ? null : TRACEPARENT.exec(header.trim());
  if (match?.[1] && match[1] !== ZERO_TRACE_ID && match[2] !== ZERO_SPAN_ID) {
    return { traceId: match[1], traceparent: `00-${match[1]}-${span}-${match[3]}` };
  }
  const traceId = randomHex(16);
  return { traceId, traceparent: `00-${traceId}-${span}-01` };
}

/** What the request is about, besides method and server. */
export interface InputTarget {
  tool?: { name: string; qualified_name: string; title?: string; annotations: Record<string, Json> };
  prompt?: { name: string; qualified_name: string };
  resource?: { uri: string };
  arguments?: Record<string, Json>;
}

/** Builds the policy input for one decision. */
export function buildInput(
  phase: "request" | "response" | "list",
  method: string,
  server: string | null,
  target: InputTarget,
  context: CallContext,
  session: { id: string | null; labels: Iterable<string> },
  outcome?: { result?: unknown; error?: { code: number; message: string } },
): Json {
  const input: { [key: string]: Json } = {
    phase,
    method,
    server,
    // The identity as it is: the engine reads input and never changes it.
    identity: context.identity,
    session: { id: session.id, labels: [...session.labels] },
    trace_id: context.traceId,
    time: isoNow(),
  };
  if (target.tool) input.tool = target.tool;
  if (target.prompt) input.prompt = target.prompt;
  if (target.resource) input.resource = target.resource;
  if (phase !== "list") input.arguments = target.arguments ?? {};
  if (outcome?.result !== undefined) input.result = outcome.result as Json;
  if (outcome?.error) input.error = { code: outcome.error.code, message: outcome.error.message };
  return input;
}
