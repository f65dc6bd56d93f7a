/**
 * The HTTP front end on fastify: `/mcp`, `/health/live`, `/health/ready`, `/metrics`, with one
 * error handler that answers every failure as a JSON-RPC error body and never leaks internals.
 */
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { GatewayError, toGatewayError } from "../errors.js";
import type { Gateway } from "../gateway/gateway.js";
import { anonymousIdentity } from "../gateway/input.js";
import { registerAdminRoutes } from "./admin-routes.js";
import { anonymousAuth, BearerAuth } from "./auth.js";
import { registerMcpRoutes, sendError } from "./mcp-routes.js";
import { OriginPolicy } from "./origin.js";
import type { GatewaySecurity } from "./security.js";
import { registerWellKnownRoutes } from "./well-known.js";

/** Builds the fastify app for `gateway` (not listening yet); without `security`, callers are anonymous. */
export function buildApp(gateway: Gateway, listenHost: string, security?: GatewaySecurity): FastifyInstance {
  const config = gateway.config;
  const app = Fastify({
    bodyLimit: config.limits.max_body_bytes,
    logger: false,
    // Clients may hold SSE streams for long; the keep-alive default is kept for connection reuse.
    requestTimeout: 0,
    return503OnClosing: true,
    forceCloseConnections: "idle",
  });
  // MCP bodies are JSON only; fastify would otherwise accept text/plain and leave a string.
  app.removeContentTypeParser("text/plain");
  const origins = new OriginPolicy(listenHost, config.allowed_hosts, config.allowed_origins);
  const anonymous = anonymousIdentity(config.anonymous);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const mapped = fromFastify(error);
    if (mapped.code === "PORTCULLIS_INTERNAL") gateway.logger.error({ err: error, url: request.url }, "request failed");
    gateway.metrics.errors.inc({ code: mapped.code });
    return sendError(reply, mapped);
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: "not found", endpoints: ["/mcp", "/health/live", "/health/ready", "/metrics"] }),
  );

  const authenticator = security?.authenticator;
  registerMcpRoutes(
    app,
    gateway,
    origins,
    authenticator === undefined ? anonymousAuth(anonymous) : new BearerAuth(gateway, authenticator),
  );
  if (security !== undefined) {
    registerAdminRoutes(app, gateway, origins, security);
    if (config.auth !== "none") registerWellKnownRoutes(app, config.auth, security);
  }

  app.get("/health/live", async () => ({ status: "ok" }));
  app.get("/health/ready", async (_request, reply) => {
    const readiness = gateway.readiness();
    return reply.code(readiness.ready ? 200 : 503).send(readiness);
  });
  app.get("/metrics", async (_request, reply) => {
    const { contentType, body } = await gateway.metrics.render();
    return reply.type(contentType).send(body);
  });
  return app;
}

/** Maps fastify's own errors (body parsing, limits) to the gateway's codes. */
function fromFastify(error: FastifyError): GatewayError {
  if (error instanceof GatewayError) return error;
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new GatewayError(
        "PORTCULLIS_BODY_TOO_LARGE",
        `the request body exceeds ${error.message.match(/\d+/)?.[0] ?? "the"} bytes`,
      );
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new GatewayError("PORTCULLIS_UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new GatewayError("PORTCULLIS_PARSE_ERROR", "the request body is empty");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new GatewayError("PORTCULLIS_PARSE_ERROR", "the request body is not valid JSON");
    default:
      if (error instanceof SyntaxError || error.statusCode === 400) {
        return new GatewayError("PORTCULLIS_PARSE_ERROR", "the request body is not valid JSON");
      }
      return toGatewayError(error);
  }
}
