/**
 * The per-request pipeline: route a client request to its upstream by name, decide (phase
 * request), forward, decide again on the result (phase response), answer, audit. Lists are merged
 * from all upstreams and filtered by what the policy would allow this caller to use.
 */
import {
  type JSONRPCMessage,
  type JSONRPCRequest,
  McpError,
  type Progress,
  type RequestId,
  type Result,
} from "@modelcontextprotocol/sdk/types.js";
import type { AuditLog, AuditRecord } from "../audit/audit.js";
import { argumentsDigest } from "../audit/audit.js";
import type { Config } from "../config/schema.js";
import type { Decider, Decision } from "../engine/decider.js";
import { GatewayError, toGatewayError } from "../errors.js";
import type { Json } from "../rego/index.js";
import type { Cancellation } from "./cancellation.js";
import { type Catalog, routeResource } from "./catalog.js";
import { auditIdentity, buildInput, type CallContext, type InputTarget } from "./input.js";
import { withMetaMember } from "./members.js";
import type { GatewayMetrics } from "./metrics.js";
import type { ClientSession } from "./session.js";
import type { ShadowItem } from "./shadow.js";
import type { UpstreamConnection } from "./upstream.js";

/** What the dispatcher needs from the gateway. */
export interface DispatchHost {
  readonly config: Config;
  readonly metrics: GatewayMetrics;
  readonly audit: AuditLog;
  /** The policy serving now; each call takes one snapshot and decides with it throughout. */
  decider(): Decider;
  /** Receives every enforced decision for shadow comparison (off the request path). */
  shadow?(item: ShadowItem): void;
  catalogFor(session: ClientSession): Promise<Catalog>;
  connectionFor(server: string, session: ClientSession): Promise<UpstreamConnection>;
  upstreamNames(): string[];
  onUnexpectedError(e: unknown, where: string): void;
}

/** Where a request goes and what the policy sees of it. */
interface Route {
  server: string;
  target: InputTarget;
  /** Audit's `target` field. */
  label: string;
  /** Params to send upstream (names mapped back to the upstream's own). */
  params: Record<string, unknown>;
  /** Whether the result is decided again (phase response). */
  decideResponse: boolean;
}

const LIST_METHODS: Record<string, true> = {
  "tools/list": true,
  "prompts/list": true,
  "resources/list": true,
  "resources/templates/list": true,
};

/** Handles client requests for one gateway. */
export class Dispatcher {
  constructor(private readonly host: DispatchHost) {}

  /** Processes one request and returns the JSON-RPC response; never throws. */
  async handle(
    session: ClientSession,
    request: JSONRPCRequest,
    context: CallContext,
    signal: Cancellation,
  ): Promise<JSONRPCMessage> {
    const started = performance.now();
    // Every field present from the start (undefined ones are not written): one object shape for
    // all records, instead of a new one for each order in which fields get filled in.
    const record: AuditRecord = {
      method: request.method,
      outcome: "allowed",
      error_type: undefined,
      error_message: undefined,
      identity: auditIdentity(context.identity),
      session_id: session.id,
      server: null,
      target: undefined,
      arguments_digest: undefined,
      arguments: undefined,
      trace_id: context.traceId,
      upstream: undefined,
      duration_ms: 0,
      decision_id: undefined,
      response_decision_id: undefined,
      policy_revision: undefined,
      reasons: undefined,
      labels: undefined,
    };
    let response: JSONRPCMessage;
    try {
      // One Decider for the whole call: a reload mid-call does not mix revisions.
      const result = await this.route(session, request, context, signal, record, this.host.decider());
      response = { jsonrpc: "2.0", id: request.id, result };
    } catch (e) {
      // After a cancellation the SDK rejects with a timeout-coded error; the audit should say why.
      const error = signal.aborted
        ? new GatewayError("PORTCULLIS_CANCELLED", "the request was cancelled by the client")
        : classify(e);
      if (
        error.code === "PORTCULLIS_DENIED" ||
        error.code === "PORTCULLIS_POLICY_ERROR" ||
        error.code === "PORTCULLIS_INSUFFICIENT_SCOPE"
      )
        record.outcome = "denied";
      else {
        record.outcome = "error";
        record.error_type = error.code === "PORTCULLIS_UPSTREAM_ERROR" ? `upstream:${error.rpcCode}` : error.code;
        record.error_message = error.message;
      }
      if (error.code === "PORTCULLIS_INTERNAL") this.host.onUnexpectedError(e, request.method);
      this.host.metrics.errors.inc({ code: error.code });
      response = {
        jsonrpc: "2.0",
        id: request.id,
        error: {
          code: error.rpcCode,
          message: error.message,
          ...(error.data === undefined ? {} : { data: error.data }),
        },
      };
    }
    record.duration_ms = round(performance.now() - started);
    this.host.metrics.requests.inc({ method: metricMethod(request.method), outcome: record.outcome });
    this.host.audit.write(record);
    return response;
  }

  private async route(
    session: ClientSession,
    request: JSONRPCRequest,
    context: CallContext,
    signal: Cancellation,
    record: AuditRecord,
    decider: Decider,
  ): Promise<Result> {
    const method = request.method;
    const params = (request.params ?? {}) as Record<string, unknown>;
    if (method === "ping") return {};
    if (LIST_METHODS[method]) return this.list(session, method, context, decider);
    if (method === "logging/setLevel") return this.setLogLevel(session, params);
    const catalog = await this.host.catalogFor(session);
    const route = this.resolve(method, params, catalog);
    record.server = route.server;
    record.target = route.label;
    if (route.target.arguments !== undefined) {
      record.arguments_digest = argumentsDigest(route.target.arguments);
      if (this.host.audit.includeArguments) record.arguments = route.target.arguments;
    }
    // Awaited: returning the promise would cost two more microtask turns to adopt it.
    return await this.forward(session, request, route, context, signal, record, decider);
  }

  /** Finds the upstream for a routed method and the names it knows the target by. */
  private resolve(method: string, params: Record<string, unknown>, catalog: Catalog): Route {
    const names = this.host.upstreamNames();
    switch (method) {
      case "tools/call": {
        const name = requireString(params, "name");
        const tool = catalog.tools.get(name);
        if (!tool) throw notFound("tool", name, catalog);
        const args = objectParam(params, "arguments");
        return {
          server: tool.server,
          label: name,
          params: { ...params, name: tool.name },
          decideResponse: true,
          target: {
            tool: {
              name: tool.name,
              qualified_name: name,
              ...(tool.item.title === undefined ? {} : { title: tool.item.title }),
              annotations: (tool.item.annotations ?? {}) as Record<string, Json>,
            },
            arguments: args,
          },
        };
      }
      case "prompts/get": {
        const name = requireString(params, "name");
        const prompt = catalog.prompts.get(name);
        if (!prompt) throw notFound("prompt", name, catalog);
        return {
          server: prompt.server,
          label: name,
          params: { ...params, name: prompt.name },
          decideResponse: true,
          target: { prompt: { name: prompt.name, qualified_name: name }, arguments: objectParam(params, "arguments") },
        };
      }
      case "resources/read":
      case "resources/subscribe":
      case "resources/unsubscribe": {
        const uri = requireString(params, "uri");
        const server = routeResource(catalog, uri, names);
        if (server === undefined) throw notFound("resource", uri, catalog);
        return {
          server,
          label: uri,
          params,
          decideResponse: method === "resources/read",
          target: { resource: { uri } },
        };
      }
      case "completion/complete": {
        const ref = params.ref as { type?: unknown; name?: unknown; uri?: unknown } | undefined;
        if (ref?.type === "ref/prompt" && typeof ref.name === "string") {
          const prompt = catalog.prompts.get(ref.name);
          if (!prompt) throw notFound("prompt", ref.name, catalog);
          return {
            server: prompt.server,
            label: ref.name,
            params: { ...params, ref: { ...ref, name: prompt.name } },
            decideResponse: false,
            target: { prompt: { name: prompt.name, qualified_name: ref.name } },
          };
        }
        if (ref?.type === "ref/resource" && typeof ref.uri === "string") {
          const server = routeResource(catalog, ref.uri, names);
          if (server === undefined) throw notFound("resource", ref.uri, catalog);
          return { server, label: ref.uri, params, decideResponse: false, target: { resource: { uri: ref.uri } } };
        }
        throw new GatewayError(
          "PORTCULLIS_INVALID_PARAMS",
          "completion/complete needs ref of type ref/prompt (name) or ref/resource (uri)",
        );
      }
      default: {
        // With a single upstream the gateway is transparent to methods it does not know.
        const only = names.length === 1 ? names[0] : undefined;
        if (only === undefined) throw new GatewayError("PORTCULLIS_METHOD_NOT_FOUND", `method not found: ${method}`);
        return { server: only, label: method, params, decideResponse: false, target: {} };
      }
    }
  }

  private async forward(
    session: ClientSession,
    request: JSONRPCRequest,
    route: Route,
    context: CallContext,
    signal: Cancellation,
    record: AuditRecord,
    decider: Decider,
  ): Promise<Result> {
    const decision = this.decide(decider, "request", request.method, route.server, route.target, context, session);
    record.decision_id = decision.id;
    record.policy_revision = decision.revision;
    if (!decision.allow && decision.requiredScopes !== undefined) stepUp(decision, context, record);
    this.enforce(decision, record);

    const connection = await this.host.connectionFor(route.server, session);
    const { params, progressToken } = upstreamParams(route.params, context.traceparent);
    const onProgress =
      progressToken === undefined
        ? undefined
        : (progress: Progress) => {
            session.send(
              { jsonrpc: "2.0", method: "notifications/progress", params: { ...progress, progressToken } },
              request.id,
            );
          };
    const upstreamStarted = performance.now();
    let result: Result;
    try {
      result = await connection.request(request.method, params, session.id, { signal, onProgress });
    } catch (e) {
      // The policy sees upstream errors too (to label the session); the client gets the error either way.
      if (route.decideResponse && e instanceof McpError && e.code !== -32001) {
        const after = this.decide(decider, "response", request.method, route.server, route.target, context, session, {
          error: { code: e.code, message: upstreamMessage(e) },
        });
        record.response_decision_id = after.id;
        if (after.labels.length > 0) record.labels = [...(record.labels ?? []), ...after.labels];
      }
      throw e;
    } finally {
      const seconds = (performance.now() - upstreamStarted) / 1000;
      record.upstream = { name: route.server, transport: connection.transportKind, duration_ms: round(seconds * 1000) };
      this.host.metrics.upstreamSeconds.observe(
        { server: route.server, method: metricMethod(request.method) },
        seconds,
      );
    }
    if (request.method === "resources/subscribe") session.subscriptions.set(String(route.params.uri), route.server);
    if (request.method === "resources/unsubscribe") session.subscriptions.delete(String(route.params.uri));
    if (!route.decideResponse) return result;

    const after = this.decide(decider, "response", request.method, route.server, route.target, context, session, {
      result,
    });
    record.response_decision_id = after.id;
    this.enforce(after, record);
    return result;
  }

  /** Evaluates the policy and records the decision in the metrics; labels go to the session. */
  private decide(
    decider: Decider,
    phase: "request" | "response" | "list",
    method: string,
    server: string | null,
    target: InputTarget,
    context: CallContext,
    session: ClientSession,
    outcome?: { result?: unknown; error?: { code: number; message: string } },
  ): Decision {
    const input = buildInput(phase, method, server, target, context, session, outcome);
    const decision = decider.decide(input);
    this.host.shadow?.({
      phase,
      method,
      server,
      target: targetLabel(target),
      sessionId: session.id,
      traceId: context.traceId,
      input,
      decision,
    });
    this.host.metrics.decisionSeconds.observe({ phase }, decision.durationMs / 1000);
    this.host.metrics.decisions.inc({ phase, outcome: decision.error ? "error" : decision.allow ? "allow" : "deny" });
    if (phase !== "list") for (const label of decision.labels) session.labels.add(label);
    return decision;
  }

  /** Throws the deny error (with the decision id and reasons) unless the decision allows. */
  private enforce(decision: Decision, record: AuditRecord): void {
    if (decision.labels.length > 0) record.labels = [...(record.labels ?? []), ...decision.labels];
    if (decision.allow) return;
    record.reasons = decision.reasons;
    const code = decision.error ? "PORTCULLIS_POLICY_ERROR" : "PORTCULLIS_DENIED";
    const shown = decision.reasons.length > 0 ? decision.reasons.join("; ") : "not allowed";
    throw new GatewayError(code, `Denied by policy: ${shown}`, {
      data: { decision_id: decision.id, reasons: decision.reasons },
    });
  }

  /** A merged list, holding only what the policy lets this caller use. */
  private async list(session: ClientSession, method: string, context: CallContext, decider: Decider): Promise<Result> {
    const catalog = await this.host.catalogFor(session);
    const allowed = (callMethod: string, server: string, target: InputTarget) =>
      this.decide(decider, "list", callMethod, server, target, context, session).allow;
    switch (method) {
      case "tools/list": {
        const tools = [];
        for (const [qualifiedName, t] of catalog.tools) {
          const target: InputTarget = {
            tool: {
              name: t.name,
              qualified_name: qualifiedName,
              ...(t.item.title === undefined ? {} : { title: t.item.title }),
              annotations: (t.item.annotations ?? {}) as Record<string, Json>,
            },
          };
          if (allowed("tools/call", t.server, target)) tools.push({ ...t.item, name: qualifiedName });
        }
        return { tools };
      }
      case "prompts/list": {
        const prompts = [];
        for (const [qualifiedName, p] of catalog.prompts) {
          if (allowed("prompts/get", p.server, { prompt: { name: p.name, qualified_name: qualifiedName } })) {
            prompts.push({ ...p.item, name: qualifiedName });
          }
        }
        return { prompts };
      }
      case "resources/list":
        return {
          resources: catalog.resources
            .filter((r) => allowed("resources/read", r.server, { resource: { uri: r.item.uri } }))
            .map((r) => r.item),
        };
      default:
        return {
          resourceTemplates: catalog.templates
            .filter((t) => allowed("resources/read", t.server, { resource: { uri: t.item.uriTemplate } }))
            .map((t) => t.item),
        };
    }
  }

  /** Sets the log level on every upstream of the session that supports logging. */
  private async setLogLevel(session: ClientSession, params: Record<string, unknown>): Promise<Result> {
    requireString(params, "level");
    await Promise.all(
      this.host.upstreamNames().map(async (server) => {
        try {
          const connection = await this.host.connectionFor(server, session);
          if (connection.capabilities.logging) await connection.request("logging/setLevel", params, session.id);
        } catch {
          // An upstream that is down or refuses keeps its level; the others still change theirs.
        }
      }),
    );
    return {};
  }
}

/**
 * A deny that names `required_scopes` the caller's token lacks asks the client to step up: HTTP 403
 * with `WWW-Authenticate: Bearer error="insufficient_scope", scope="..."` (set by the HTTP front end
 * from `data.required_scopes`). A deny whose scopes the token already has stays a plain deny.
 */
function stepUp(decision: Decision, context: CallContext, record: AuditRecord): void {
  const required = decision.requiredScopes ?? [];
  const missing = required.filter((s) => !context.identity.scopes.includes(s));
  if (missing.length === 0) return;
  record.reasons = decision.reasons;
  if (decision.labels.length > 0) record.labels = [...(record.labels ?? []), ...decision.labels];
  const shown = decision.reasons.length > 0 ? decision.reasons.join("; ") : `needs scope(s) ${missing.join(" ")}`;
  throw new GatewayError("PORTCULLIS_INSUFFICIENT_SCOPE", `Insufficient scope: ${shown}`, {
    data: {
      code: "PORTCULLIS_INSUFFICIENT_SCOPE",
      decision_id: decision.id,
      reasons: decision.reasons,
      required_scopes: required,
    },
  });
}

/** What a decision was about, for shadow records: tool/prompt name or resource URI. */
function targetLabel(target: InputTarget): string | undefined {
  return target.tool?.qualified_name ?? target.prompt?.qualified_name ?? target.resource?.uri;
}

/** The upstream's own error message, without the prefix the SDK's McpError adds to it. */
function upstreamMessage(e: McpError): string {
  return e.message.replace(/^MCP error -?\d+: /, "");
}

/** Maps anything thrown while handling a request to the error the client gets. */
function classify(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  if (e instanceof McpError) {
    const message = upstreamMessage(e);
    if (e.code === -32001 && /timed out/i.test(message))
      return new GatewayError("PORTCULLIS_UPSTREAM_TIMEOUT", `upstream timed out: ${message}`);
    if (e.code === -32000 && /connection closed/i.test(message)) {
      return new GatewayError("PORTCULLIS_UPSTREAM_UNAVAILABLE", "the upstream connection closed before it answered");
    }
    return new GatewayError("PORTCULLIS_UPSTREAM_ERROR", message, { rpcCode: e.code, data: e.data });
  }
  if (e instanceof Error && e.name === "ZodError") {
    return new GatewayError("PORTCULLIS_UPSTREAM_ERROR", "the upstream's result is not a JSON object", {
      rpcCode: -32603,
    });
  }
  if (e instanceof Error && /fetch failed|ECONNREFUSED|ECONNRESET|socket/i.test(e.message)) {
    return new GatewayError("PORTCULLIS_UPSTREAM_UNAVAILABLE", `upstream unreachable: ${e.message}`);
  }
  return toGatewayError(e);
}

function notFound(kind: string, name: string, catalog: Catalog): GatewayError {
  const down = [...catalog.unavailable.keys()];
  const hint = down.length > 0 ? ` (unavailable upstreams: ${down.join(", ")})` : "";
  return new GatewayError("PORTCULLIS_NOT_FOUND", `unknown ${kind}: ${name}${hint}`);
}

function requireString(params: Record<string, unknown>, key: string): string {
  const value = params[key];
  if (typeof value !== "string" || value === "")
    throw new GatewayError("PORTCULLIS_INVALID_PARAMS", `params.${key} must be a non-empty string`);
  return value;
}

function objectParam(params: Record<string, unknown>, key: string): Record<string, Json> {
  const value = params[key];
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw new GatewayError("PORTCULLIS_INVALID_PARAMS", `params.${key} must be an object`);
  return value as Record<string, Json>;
}

/**
 * The params sent upstream: the client's progress token taken out (the SDK sets its own upstream,
 * mapped back on the way) and the W3C trace context added to `_meta.traceparent`.
 */
function upstreamParams(
  params: Record<string, unknown>,
  traceparent: string,
): { params: Record<string, unknown>; progressToken: RequestId | undefined } {
  const meta = params._meta;
  const token =
    typeof meta === "object" && meta !== null && Object.hasOwn(meta, "progressToken")
      ? (meta as { progressToken?: unknown }).progressToken
      : undefined;
  const progressToken = typeof token === "string" || typeof token === "number" ? token : undefined;
  return { params: withMetaMember(params, "traceparent", traceparent, "progressToken"), progressToken };
}

const KNOWN_METHODS = new Set([
  "initialize",
  "ping",
  "tools/list",
  "tools/call",
  "prompts/list",
  "prompts/get",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "completion/complete",
  "logging/setLevel",
]);

/** Keeps metric label values bounded: methods outside MCP's own share one label. */
function metricMethod(method: string): string {
  return KNOWN_METHODS.has(method) ? method : "other";
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
