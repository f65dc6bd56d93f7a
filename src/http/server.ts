/**
 * Starting and stopping a whole gateway from its configuration: bundle -> decider, audit log,
 * metrics, upstream registry, HTTP listener. Used by `portcullis serve` and by the tests.
 */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import pino, { type Logger } from "pino";
import { openAuditLog } from "../audit/audit.js";
import { loadBundle } from "../bundle/load.js";
import type { Config } from "../config/schema.js";
import { Decider } from "../engine/decider.js";
import { GatewayError } from "../errors.js";
import { Gateway } from "../gateway/gateway.js";
import { GatewayMetrics } from "../gateway/metrics.js";
import { buildApp } from "./app.js";
import { isLoopback } from "./origin.js";

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

/** Builds the gateway's parts from `config` (compiles the policy; throws GatewayError on problems). */
export function createGateway(config: Config, logger: Logger): Gateway {
  const bundle = loadBundle(config.policy.bundle);
  const decider = new Decider(bundle, { entrypoint: config.policy.entrypoint, timeoutMs: config.policy.timeout_ms });
  logger.info(
    {
      bundle: config.policy.bundle,
      revision: bundle.revision,
      modules: Object.keys(bundle.modules).length,
      entrypoint: decider.entrypoint,
    },
    "policy loaded",
  );
  if (bundle.signed) {
    logger.warn(
      { bundle: config.policy.bundle },
      "the bundle carries .signatures.json, but signature verification is not implemented yet: it was NOT verified",
    );
  }
  const audit = openAuditLog(config.audit.path, { includeArguments: config.audit.include_arguments });
  return new Gateway({ config, decider, audit, metrics: new GatewayMetrics(), logger, version: packageVersion() });
}

/** Starts the gateway described by `config` and listens. */
export async function startGateway(
  config: Config,
  logger: Logger = createLogger(config.log.level),
): Promise<RunningGateway> {
  const colon = config.listen.lastIndexOf(":");
  const host = config.listen.slice(0, colon).replace(/^\[|\]$/g, "") || "127.0.0.1";
  const port = Number(config.listen.slice(colon + 1));
  const gateway = createGateway(config, logger);
  if (!isLoopback(host)) {
    logger.warn({ host }, "listening beyond loopback: put TLS and authentication in front of this gateway");
  }
  const app = buildApp(gateway, host);
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
