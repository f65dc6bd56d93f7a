/**
 * Starting and stopping a whole gateway from its configuration: bundle -> decider, audit log,
 * metrics, upstream registry, HTTP listener. Used by `portcullis serve` and by the tests.
 */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import pino, { type Logger } from "pino";
import { openAuditLog } from "../audit/audit.js";
import { withUpstreamCredentials } from "../auth/credentials.js";
import type { RevocationSnapshot } from "../auth/revocations.js";
import { verificationFromConfig } from "../bundle/keys.js";
import { type Bundle, loadBundleVerified } from "../bundle/load.js";
import type { Config } from "../config/schema.js";
import { GatewayError } from "../errors.js";
import { Gateway } from "../gateway/gateway.js";
import { GatewayMetrics } from "../gateway/metrics.js";
import { type ManagedPolicy, openPolicy } from "../gateway/policy-source.js";
import { ShadowEvaluator } from "../gateway/shadow.js";
import { buildApp } from "./app.js";
import { isLoopback } from "./origin.js";
import { announceSecurity, createSecurity, type GatewaySecurity, mintUpstreamHeaders } from "./security.js";

/** A gateway listening on HTTP. */
export interface RunningGateway {
  /** The MCP endpoint, e.g. http://127.0.0.1:8080/mcp. */
  url: string;
  gateway: Gateway;
  /** Graceful stop: in-flight calls finish, upstream processes stop, the audit log is flushed. */
  close(): Promise<void>;
}

/** The package version (package.json is two levels above both src/http and dist/http). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: unknown;
    };
    return typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}

/** Operational logs: pino JSON on stderr (stdout may carry MCP or the audit trail). */
export function createLogger(level: Config["log"]["level"]): Logger {
  return pino(
    { level, base: { service: "portcullis" }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 2, sync: false }),
  );
}

/**
 * Builds the gateway's parts from `config`: loads and compiles the policy (and the shadow policy),
 * starts watching or polling them for reloads; throws GatewayError on problems.
 */
export async function createGateway(config: Config, logger: Logger, security?: GatewaySecurity): Promise<Gateway> {
  // Static upstream credentials are read once, here, into the upstreams' headers.
  config = { ...config, upstreams: withUpstreamCredentials(config.upstreams) };
  const metrics = new GatewayMetrics();
  const policyConfig = config.policy;
  // Keys are imported once: a bad key stops start-up instead of failing every reload.
  const verification = verificationFromConfig(policyConfig.verification);
  const read = async (path: string): Promise<Bundle> => {
    const bundle = await loadBundleVerified(path, verification ? { verification } : {});
    if (bundle.signed && !bundle.signature.verified) {
      logger.warn(
        { bundle: path, revision: bundle.revision },
        "the bundle carries .signatures.json but policy.verification is not configured: it was NOT verified",
      );
    }
    return bundle;
  };
  const active = await openPolicy({
    read,
    role: "active",
    bundle: policyConfig.bundle,
    entrypoint: policyConfig.entrypoint,
    config: policyConfig,
    metrics,
    logger,
  });
  let shadowPolicy: ManagedPolicy | undefined;
  try {
    if (policyConfig.shadow) {
      shadowPolicy = await openPolicy({
        read,
        role: "shadow",
        bundle: policyConfig.shadow.bundle,
        entrypoint: policyConfig.shadow.entrypoint ?? policyConfig.entrypoint,
        config: policyConfig,
        metrics,
        logger,
      });
    }
  } catch (e) {
    await active.close();
    throw e;
  }
  const status = active.store.status();
  logger.info(
    {
      bundle: status.source,
      revision: status.revision,
      entrypoint: status.entrypoint,
      shadow: shadowPolicy?.store.source,
    },
    "policy loaded",
  );
  // A failing audit log (disk full, closed stdout) is reported at most every 10 s, with a count.
  let lastAuditError = 0;
  let failedAuditWrites = 0;
  const audit = openAuditLog(config.audit.path, {
    includeArguments: config.audit.include_arguments,
    onError: (e) => {
      failedAuditWrites++;
      const now = Date.now();
      if (now - lastAuditError < 10_000) return;
      lastAuditError = now;
      logger.error({ err: e, path: config.audit.path, failed_writes: failedAuditWrites }, "audit log write failed");
      failedAuditWrites = 0;
    },
  });
  const shadow = shadowPolicy
    ? new ShadowEvaluator(
        shadowPolicy.store,
        (difference) => audit.writeEvent("shadow decision differs", { ...difference }),
        metrics,
        logger,
      )
    : undefined;
  return new Gateway({
    config,
    policy: active.store,
    ...(shadow ? { shadow } : {}),
    closePolicy: async () => {
      await Promise.all([active.close(), shadowPolicy?.close()]);
    },
    audit,
    metrics,
    logger,
    version: packageVersion(),
    ...(security === undefined ? {} : { mintUpstreamHeaders: mintUpstreamHeaders(security) }),
  });
}

/** Starts the gateway described by `config` and listens. */
export async function startGateway(
  config: Config,
  logger: Logger = createLogger(config.log.level),
): Promise<RunningGateway> {
  const colon = config.listen.lastIndexOf(":");
  const host = config.listen.slice(0, colon).replace(/^\[|\]$/g, "") || "127.0.0.1";
  const port = Number(config.listen.slice(colon + 1));
  const security = await createSecurity(config);
  const gateway = await createGateway(config, logger, security);
  await wireRevocations(gateway, security, logger);
  announceSecurity(config, security, logger);
  if (!isLoopback(host)) {
    logger.warn({ host }, "listening beyond loopback: put TLS in front of this gateway");
  }
  const app = buildApp(gateway, host, security);
  try {
    await app.listen({ host, port });
  } catch (e) {
    await gateway.shutdown();
    await gateway.audit.close();
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "EADDRINUSE"
        ? "the address is already in use"
        : code === "EACCES"
          ? "permission denied"
          : code === "EADDRNOTAVAIL" || code === "ENOTFOUND"
            ? "no such local address"
            : (e as Error).message;
    throw new GatewayError("PORTCULLIS_LISTEN_FAILED", `listen: cannot listen on ${config.listen}: ${why}`, {
      cause: e,
    });
  }
  const address = app.server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}/mcp`;
  logger.info({ url, upstreams: config.upstreams.map((u) => u.name) }, "gateway listening");
  let closing: Promise<void> | undefined;
  return {
    url,
    gateway,
    close() {
      closing ??= (async () => {
        const shutdown = gateway.shutdown();
        const closed = app.close();
        await shutdown;
        // Event streams stay open until their session ends; after shutdown none is left to wait for.
        app.server.closeAllConnections();
        await closed;
        await gateway.audit.close();
        logger.info("gateway stopped");
        logger.flush();
      })();
      return closing;
    },
  };
}

/** Where revoked subjects and clients appear in policy data, for policies that deny them too. */
export const REVOCATIONS_DATA_ROOT = "portcullis_revocations";

/**
 * On every change of the revocation list: closes the sessions of revoked callers (their in-flight
 * calls are cancelled, their event streams end) and mirrors the list into policy data at
 * `data.portcullis_revocations` ({subjects, clients}); the authenticator already refuses revoked
 * callers' next requests, the policy data lets policies see them too.
 */
async function wireRevocations(gateway: Gateway, security: GatewaySecurity, logger: Logger): Promise<void> {
  const publish = async (list: RevocationSnapshot): Promise<void> => {
    const closing: Promise<void>[] = [];
    for (const [id, session] of gateway.sessions) {
      const identity = session.identity;
      if (identity === undefined || !security.revocations.isRevoked(identity.subject, identity.client_id)) continue;
      closing.push(gateway.closeSession(id, "the caller was revoked"));
    }
    await Promise.all(closing);
    try {
      await gateway.policy.setRuntimeData(REVOCATIONS_DATA_ROOT, { subjects: list.subjects, clients: list.clients });
    } catch (e) {
      logger.error({ error: (e as Error).message }, "the revocation list could not be put into policy data");
    }
  };
  security.revocations.onChange(publish);
  // An empty list needs no recompile at start: policies see `data.portcullis_revocations` undefined.
  if (!security.revocations.empty) await publish(security.revocations.snapshot());
}
