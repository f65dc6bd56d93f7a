/**
 * Authentication of `/mcp` requests on the HTTP front end: every request (POST, GET, DELETE) is
 * authenticated from its own `Authorization: Bearer` header (zero trust: a session grants nothing
 * by itself), failures are answered with 401/403/503 and a `WWW-Authenticate` challenge and
 * audited without the token, and sessions are bound to the subject that created them.
 * With `auth: none` every caller is the configured anonymous identity and none of this runs.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AuditRecord } from "../audit/audit.js";
import { type Authenticator, bearerTokenOf } from "../auth/authenticator.js";
import { metadataUrl } from "../auth/metadata.js";
import { bearerChallenge } from "../auth/www-authenticate.js";
import { GatewayError } from "../errors.js";
import type { Gateway } from "../gateway/gateway.js";
import { auditIdentity, type Identity, traceFrom } from "../gateway/input.js";
import type { ClientSession } from "../gateway/session.js";
import { sendError } from "./mcp-routes.js";

/** How the `/mcp` routes learn who is calling. */
export interface RequestAuth {
  /** The caller, or undefined when the request was refused (and already answered). */
  authenticate(request: FastifyRequest, reply: FastifyReply): Identity | undefined | Promise<Identity | undefined>;
  /** Binds `session` to its creator; later requests of another subject are refused. */
  bind?(session: ClientSession, identity: Identity, request: FastifyRequest): void;
  /** Answers (and audits) a request on a session of another subject; undefined when the subject matches. */
  checkSession?(
    session: ClientSession,
    identity: Identity,
    request: FastifyRequest,
    reply: FastifyReply,
  ): FastifyReply | undefined;
  /** The status and headers of a JSON-RPC response that asks for more scopes (step-up), if it is one. */
  stepUp?(message: unknown): { status: number; headers: Record<string, string> } | undefined;
}

/** `auth: none`: every caller is `anonymous`, at no cost per request. */
export function anonymousAuth(anonymous: Identity): RequestAuth {
  return { authenticate: () => anonymous };
}

const NOBODY: AuditRecord["identity"] = { subject: null, anonymous: true, groups: [], client_id: null };

/** Bearer token authentication for one gateway. */
export class BearerAuth implements RequestAuth {
  private readonly resourceMetadata: string;
  private readonly scopes: readonly string[];
  private readonly owners = new WeakMap<ClientSession, string>();

  constructor(
    private readonly gateway: Gateway,
    private readonly authenticator: Authenticator,
  ) {
    this.resourceMetadata = metadataUrl(authenticator.config.audience);
    this.scopes = authenticator.config.scopes;
  }

  async authenticate(request: FastifyRequest, reply: FastifyReply): Promise<Identity | undefined> {
    const header = request.headers.authorization;
    const outcome = await this.authenticator.authenticate(typeof header === "string" ? header : undefined, request.url);
    switch (outcome.kind) {
      case "ok":
        return outcome.identity;
      case "unauthenticated": {
        reply.header(
          "www-authenticate",
          bearerChallenge({
            resourceMetadata: this.resourceMetadata,
            scopes: this.scopes,
            ...(outcome.tokenGiven ? { error: "invalid_token" as const, description: outcome.reason } : {}),
          }),
        );
        const error = new GatewayError("PORTCULLIS_UNAUTHENTICATED", `unauthenticated: ${outcome.reason}`);
        this.audit(request, "unauthenticated", NOBODY, [outcome.reason], error.code);
        return this.refuse(reply, error, request);
      }
      case "unavailable": {
        const error = new GatewayError(
          "PORTCULLIS_AUTH_UNAVAILABLE",
          `the token cannot be checked now: ${outcome.reason}`,
        );
        this.gateway.logger.warn({ reason: outcome.reason }, "token validation unavailable");
        this.audit(request, "unauthenticated", NOBODY, [outcome.reason], error.code);
        return this.refuse(reply, error, request);
      }
      case "insufficient_scope": {
        reply.header("www-authenticate", this.insufficientScope(outcome.scopes, outcome.reason));
        const error = new GatewayError("PORTCULLIS_INSUFFICIENT_SCOPE", `insufficient scope: ${outcome.reason}`, {
          data: { required_scopes: outcome.scopes },
        });
        this.audit(request, "denied", auditIdentity(outcome.identity), [outcome.reason]);
        return this.refuse(reply, error, request);
      }
      case "revoked": {
        const error = new GatewayError("PORTCULLIS_REVOKED", "access revoked", { data: { reasons: ["revoked"] } });
        this.audit(request, "denied", auditIdentity(outcome.identity), ["revoked"]);
        return this.refuse(reply, error, request);
      }
    }
  }

  bind(session: ClientSession, identity: Identity, request: FastifyRequest): void {
    this.owners.set(session, principal(identity));
    session.identity = identity;
    session.subjectToken = bearerToken(request);
  }

  checkSession(
    session: ClientSession,
    identity: Identity,
    request: FastifyRequest,
    reply: FastifyReply,
  ): FastifyReply | undefined {
    const owner = this.owners.get(session);
    if (owner === undefined || owner === principal(identity)) {
      session.identity = identity;
      session.subjectToken = bearerToken(request);
      return undefined;
    }
    const reason = "the session belongs to another subject";
    const error = new GatewayError("PORTCULLIS_SESSION_FORBIDDEN", reason);
    this.audit(request, "denied", auditIdentity(identity), [reason], undefined, session.id);
    this.refuse(reply, error, request);
    return reply;
  }

  stepUp(message: unknown): { status: number; headers: Record<string, string> } | undefined {
    const error = (message as { error?: { data?: { code?: unknown; required_scopes?: unknown } } }).error;
    const scopes = error?.data?.required_scopes;
    if (!Array.isArray(scopes) || error?.data?.code !== "PORTCULLIS_INSUFFICIENT_SCOPE") return undefined;
    const names = scopes.filter((s): s is string => typeof s === "string");
    return { status: 403, headers: { "www-authenticate": this.insufficientScope(names, "the call needs more scope") } };
  }

  private insufficientScope(scopes: readonly string[], description: string): string {
    return bearerChallenge({
      resourceMetadata: this.resourceMetadata,
      scopes,
      error: "insufficient_scope",
      description,
    });
  }

  private refuse(reply: FastifyReply, error: GatewayError, request: FastifyRequest): undefined {
    this.gateway.metrics.errors.inc({ code: error.code });
    void sendError(reply, error, request.body);
    return undefined;
  }

  /** One audit record for a refused request: never the token, only why. */
  private audit(
    request: FastifyRequest,
    outcome: AuditRecord["outcome"],
    identity: AuditRecord["identity"],
    reasons: string[],
    errorType?: string,
    sessionId?: string,
  ): void {
    const body = request.body as { method?: unknown } | undefined;
    const method =
      typeof body === "object" && body !== null && typeof body.method === "string"
        ? body.method.slice(0, 100)
        : `HTTP ${request.method}`;
    const session = request.headers["mcp-session-id"];
    const trace = request.headers.traceparent;
    const record: AuditRecord = {
      method,
      outcome,
      identity,
      session_id: sessionId ?? (typeof session === "string" ? session.slice(0, 100) : null),
      server: null,
      trace_id: traceFrom(typeof trace === "string" ? trace : undefined).traceId,
      duration_ms: 0,
      reasons,
    };
    if (errorType !== undefined) record.error_type = errorType;
    this.gateway.audit.write(record);
  }
}

/** Who a session belongs to: the token's issuer and subject. */
function principal(identity: Identity): string {
  return `${identity.issuer ?? ""}\u0000${identity.subject ?? ""}`;
}

/** The bearer token of an authenticated request (its format was checked by the authenticator). */
function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return typeof header === "string" ? bearerTokenOf(header) : undefined;
}
