/**
 * `/admin/revocations`: list (GET), revoke (POST) and restore (DELETE) a subject or an OAuth
 * client. Allowed from loopback without a token, or from anywhere with the admin bearer token
 * (`admin.token_env` / `admin.token_file`, compared in constant time). Every change and every
 * refused attempt is audited; the very next call of a revoked identity is denied.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { AuditRecord } from "../audit/audit.js";
import type { RevocationTarget } from "../auth/revocations.js";
import { isLoopback } from "../config/loopback.js";
import { GatewayError } from "../errors.js";
import type { Gateway } from "../gateway/gateway.js";
import { traceFrom } from "../gateway/input.js";
import { sendError } from "./mcp-routes.js";
import type { OriginPolicy } from "./origin.js";
import type { GatewaySecurity } from "./security.js";

/** The path of the revocation endpoint. */
export const REVOCATIONS_PATH = "/admin/revocations";

const targetSchema = z.union([
  z.object({ subject: z.string().min(1).max(512) }).strict(),
  z.object({ client_id: z.string().min(1).max(512) }).strict(),
]);

/** Registers the admin routes. */
export function registerAdminRoutes(
  app: FastifyInstance,
  gateway: Gateway,
  origins: OriginPolicy,
  security: GatewaySecurity,
): void {
  const revocations = security.revocations;
  const expected = security.adminToken === undefined ? undefined : digest(security.adminToken);

  /** Who the admin is ("loopback" or "admin-token"), or undefined after refusing the request. */
  const admit = (request: FastifyRequest, reply: FastifyReply): string | undefined => {
    const refusedOrigin = origins.refuse(headerOf(request, "host"), headerOf(request, "origin"));
    let refusal: GatewayError | undefined;
    let who: string | undefined;
    const authorization = headerOf(request, "authorization");
    if (refusedOrigin !== undefined) refusal = new GatewayError("PORTCULLIS_FORBIDDEN_ORIGIN", refusedOrigin);
    else if (authorization !== undefined) {
      const token = /^Bearer +(\S+) *$/i.exec(authorization)?.[1];
      if (expected !== undefined && token !== undefined && timingSafeEqual(digest(token), expected))
        who = "admin-token";
      else refusal = new GatewayError("PORTCULLIS_UNAUTHENTICATED", "unauthenticated: wrong admin token");
    } else if (isLoopback(request.socket.remoteAddress ?? "")) who = "loopback";
    else
      refusal = new GatewayError(
        "PORTCULLIS_UNAUTHENTICATED",
        "unauthenticated: the admin endpoint needs the admin token",
      );
    if (refusal !== undefined) {
      if (refusal.code === "PORTCULLIS_UNAUTHENTICATED")
        reply.header("www-authenticate", 'Bearer realm="portcullis-admin"');
      audit(gateway, request, {
        outcome: "unauthenticated",
        who: null,
        reasons: [refusal.message],
        errorType: refusal.code,
      });
      gateway.metrics.errors.inc({ code: refusal.code });
      void sendError(reply, refusal);
      return undefined;
    }
    return who;
  };

  app.get(REVOCATIONS_PATH, async (request, reply) => {
    if (admit(request, reply) === undefined) return reply;
    return reply.send(revocations.snapshot());
  });

  const change = (kind: "revoke" | "restore") => async (request: FastifyRequest, reply: FastifyReply) => {
    const who = admit(request, reply);
    if (who === undefined) return reply;
    const input = request.body ?? queryTarget(request.query);
    const parsed = targetSchema.safeParse(input);
    if (!parsed.success) {
      return sendError(
        reply,
        new GatewayError("PORTCULLIS_INVALID_PARAMS", 'the body must be {"subject": "..."} or {"client_id": "..."}'),
      );
    }
    const target = parsed.data as RevocationTarget;
    let changed: boolean;
    try {
      changed = kind === "revoke" ? revocations.add(target) : revocations.remove(target);
    } catch (e) {
      if (e instanceof GatewayError) return sendError(reply, e);
      throw e;
    }
    // The policy data follows the list before the answer, so the very next call sees it there too.
    await revocations.settled();
    const label = "subject" in target ? `subject:${target.subject}` : `client_id:${target.client_id}`;
    audit(gateway, request, { outcome: "allowed", who, reasons: [changed ? `${kind}d` : "unchanged"], target: label });
    gateway.logger.warn(
      { admin: who, action: kind, target: label },
      kind === "revoke" ? "access revoked" : "access restored",
    );
    return reply.send({ changed, revocations: revocations.snapshot() });
  };
  app.post(REVOCATIONS_PATH, change("revoke"));
  app.delete(REVOCATIONS_PATH, change("restore"));
}

function queryTarget(query: unknown): unknown {
  const q = (query ?? {}) as Record<string, unknown>;
  if (typeof q.subject === "string") return { subject: q.subject };
  if (typeof q.client_id === "string") return { client_id: q.client_id };
  return undefined;
}

function audit(
  gateway: Gateway,
  request: FastifyRequest,
  what: { outcome: AuditRecord["outcome"]; who: string | null; reasons: string[]; errorType?: string; target?: string },
): void {
  const trace = headerOf(request, "traceparent");
  const record: AuditRecord = {
    method: `admin:${request.method} ${REVOCATIONS_PATH}`,
    outcome: what.outcome,
    identity: {
      subject: what.who === null ? null : `admin:${what.who}`,
      anonymous: what.who === null,
      groups: [],
      client_id: null,
    },
    session_id: null,
    server: null,
    trace_id: traceFrom(trace).traceId,
    duration_ms: 0,
    reasons: what.reasons,
  };
  if (what.target !== undefined) record.target = what.target;
  if (what.errorType !== undefined) record.error_type = what.errorType;
  gateway.audit.write(record);
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
