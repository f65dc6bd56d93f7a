/**
 * MCP Streamable HTTP at `/mcp`: POST carries client messages (answered as JSON or as an SSE
 * stream), GET opens the session's event stream, DELETE ends the session. Checks Host/Origin,
 * Accept, the session id and the protocol version header before anything reaches the gateway.
 */

import {
  type JSONRPCMessage,
  type JSONRPCRequest,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/sdk/types.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { GatewayError, type GatewayErrorCode } from "../errors.js";
import type { Gateway } from "../gateway/gateway.js";
import { type CallContext, type Identity, traceFrom } from "../gateway/input.js";
import type { ClientSession } from "../gateway/session.js";
import type { RequestAuth } from "./auth.js";
import { EventStreamSink, PostResponseChannel } from "./channels.js";
import type { OriginPolicy } from "./origin.js";

const SESSION_HEADER = "mcp-session-id";
const VERSION_HEADER = "mcp-protocol-version";

/** Registers the `/mcp` routes; `auth` says who calls (every request authenticates on its own). */
export function registerMcpRoutes(
  app: FastifyInstance,
  gateway: Gateway,
  origins: OriginPolicy,
  auth: RequestAuth,
): void {
  const context = (request: FastifyRequest, identity: Identity): CallContext => {
    const header = request.headers.traceparent;
    const trace = traceFrom(typeof header === "string" ? header : undefined);
    return { identity, traceId: trace.traceId, traceparent: trace.traceparent };
  };
  /** The caller, or undefined when the request was refused (answered already). */
  const caller = (request: FastifyRequest, reply: FastifyReply) => auth.authenticate(request, reply);
  const stepUp = auth.stepUp?.bind(auth);
  /** For GET and DELETE: the caller and their session, or undefined when the request was answered (refused). */
  const ownedSession = async (
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ identity: Identity; session: ClientSession } | undefined> => {
    let identity = caller(request, reply);
    if (identity instanceof Promise) identity = await identity;
    if (identity === undefined) return undefined;
    const found = lookupSession(gateway, header(request, SESSION_HEADER));
    if (found instanceof GatewayError) {
      sendError(reply, found);
      return undefined;
    }
    if (auth.checkSession?.(found, identity, request, reply)) return undefined;
    return { identity, session: found };
  };

  app.post("/mcp", async (request, reply) => {
    const refused = precheck(request, gateway, origins, "post");
    if (refused) return sendError(reply, refused);
    const message = request.body;
    if (Array.isArray(message)) {
      return sendError(reply, new GatewayError("PORTCULLIS_INVALID_REQUEST", "JSON-RPC batches are not supported"));
    }
    const problem = envelopeProblem(message);
    if (problem !== undefined) return sendError(reply, new GatewayError("PORTCULLIS_INVALID_REQUEST", problem));
    const msg = message as JSONRPCMessage;
    const sessionId = header(request, SESSION_HEADER);
    let identity = caller(request, reply);
    if (identity instanceof Promise) identity = await identity;
    if (identity === undefined) return reply;

    if ("method" in msg && msg.method === "initialize" && "id" in msg) {
      if (sessionId !== undefined) {
        return sendError(
          reply,
          new GatewayError("PORTCULLIS_INVALID_REQUEST", "initialize must not carry an Mcp-Session-Id"),
        );
      }
      const { session, result } = gateway.initialize(msg as JSONRPCRequest, context(request, identity));
      auth.bind?.(session, identity, request);
      reply.header(SESSION_HEADER, session.id);
      return reply.code(200).type("application/json").send({ jsonrpc: "2.0", id: msg.id, result });
    }

    const found = lookupSession(gateway, sessionId);
    if (found instanceof GatewayError) return sendError(reply, found, msg);
    const session = found;
    if (auth.checkSession?.(session, identity, request, reply)) return reply;
    if ("method" in msg && "id" in msg) {
      const request_ = msg as JSONRPCRequest;
      reply.hijack();
      const channel = new PostResponseChannel(
        reply.raw,
        () => {
          gateway.handleClientMessage(session, {
            jsonrpc: "2.0",
            method: "notifications/cancelled",
            params: { requestId: request_.id, reason: "client disconnected" },
          });
        },
        stepUp,
      );
      await gateway.handleRequest(session, request_, channel, context(request, identity));
      return reply;
    }
    gateway.handleClientMessage(session, msg);
    return reply.code(202).send();
  });

  app.get("/mcp", async (request, reply) => {
    const refused = precheck(request, gateway, origins, "get");
    if (refused) return sendError(reply, refused);
    const owned = await ownedSession(request, reply);
    if (owned === undefined) return reply;
    const { identity, session } = owned;
    if (session.standalone && !session.standalone.closed) {
      return sendError(
        reply,
        new GatewayError("PORTCULLIS_STREAM_CONFLICT", "this session already has an open event stream"),
      );
    }
    reply.hijack();
    const expiresAt = identity.expires_at === null ? undefined : identity.expires_at * 1000;
    const sink = new EventStreamSink(
      reply.raw,
      () => {
        if (session.standalone === sink) session.standalone = undefined;
      },
      undefined,
      expiresAt,
    );
    session.standalone = sink;
    return reply;
  });

  app.delete("/mcp", async (request, reply) => {
    const refused = precheck(request, gateway, origins, "delete");
    if (refused) return sendError(reply, refused);
    const owned = await ownedSession(request, reply);
    if (owned === undefined) return reply;
    await gateway.closeSession(owned.session.id, "deleted by the client");
    return reply.code(200).send();
  });

  app.route({
    method: ["PUT", "PATCH"],
    url: "/mcp",
    handler: async (_request, reply) => {
      reply.header("allow", "GET, POST, DELETE");
      return reply.code(405).send({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "method not allowed" } });
    },
  });
}

/** Checks that apply to every /mcp request; returns the error to answer with, if any. */
function precheck(
  request: FastifyRequest,
  gateway: Gateway,
  origins: OriginPolicy,
  kind: "post" | "get" | "delete",
): GatewayError | undefined {
  if (gateway.draining) return new GatewayError("PORTCULLIS_SHUTTING_DOWN", "the gateway is shutting down");
  const refused = origins.refuse(header(request, "host"), header(request, "origin"));
  if (refused) return new GatewayError("PORTCULLIS_FORBIDDEN_ORIGIN", refused);
  const accept = header(request, "accept") ?? "";
  const anything = accept.includes("*/*");
  if (kind === "post" && !anything && !(accept.includes("application/json") && accept.includes("text/event-stream"))) {
    return new GatewayError(
      "PORTCULLIS_NOT_ACCEPTABLE",
      "Accept must list both application/json and text/event-stream",
    );
  }
  if (kind === "get" && !anything && !accept.includes("text/event-stream")) {
    return new GatewayError("PORTCULLIS_NOT_ACCEPTABLE", "Accept must list text/event-stream");
  }
  const version = header(request, VERSION_HEADER);
  if (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    return new GatewayError(
      "PORTCULLIS_UNSUPPORTED_PROTOCOL_VERSION",
      `unsupported MCP-Protocol-Version "${version.slice(0, 40)}" (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")})`,
    );
  }
  return undefined;
}

function lookupSession(gateway: Gateway, id: string | undefined): ClientSession | GatewayError {
  if (id === undefined)
    return new GatewayError("PORTCULLIS_SESSION_REQUIRED", "missing Mcp-Session-Id header (send initialize first)");
  return (
    gateway.session(id) ??
    new GatewayError("PORTCULLIS_SESSION_NOT_FOUND", "session not found or expired (initialize again)")
  );
}

/** Why `message` is not a JSON-RPC 2.0 message, or undefined when it is one. */
function envelopeProblem(message: unknown): string | undefined {
  if (typeof message !== "object" || message === null) return "the body must be a JSON-RPC message object";
  const m = message as Record<string, unknown>;
  if (m.jsonrpc !== "2.0") return 'jsonrpc must be "2.0"';
  const hasId = "id" in m;
  if (hasId && typeof m.id !== "string" && !(typeof m.id === "number" && Number.isInteger(m.id))) {
    return "id must be a string or an integer";
  }
  if ("method" in m) {
    if (typeof m.method !== "string" || m.method === "") return "method must be a non-empty string";
    if ("params" in m && (typeof m.params !== "object" || m.params === null || Array.isArray(m.params))) {
      return "params must be an object";
    }
    return undefined;
  }
  if (!hasId) return "a message needs a method (request, notification) or an id (response)";
  if (!("result" in m) && !("error" in m)) return "a response needs result or error";
  return undefined;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Answers with a JSON-RPC error body and the code's HTTP status. */
export function sendError(reply: FastifyReply, error: GatewayError, message?: unknown): FastifyReply {
  const id =
    typeof message === "object" && message !== null && "id" in message ? (message as { id: unknown }).id : null;
  return reply
    .code(error.httpStatus)
    .type("application/json")
    .send({
      jsonrpc: "2.0",
      id: id ?? null,
      error: { code: error.rpcCode, message: error.message, data: { code: error.code satisfies GatewayErrorCode } },
    });
}
