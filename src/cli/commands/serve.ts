/**
 * `portcullis serve`: runs the gateway on Streamable HTTP until SIGINT/SIGTERM, then shuts down
 * gracefully (in-flight calls finish, upstream processes stop, the audit log is flushed).
 */
import { loadConfigFile } from "../../config/load.js";
import { startGateway } from "../../http/server.js";
import type { Io } from "../io.js";
import { parseCommandArgs } from "./args.js";

export const SERVE_USAGE = `usage: portcullis serve [--config FILE]

Runs the MCP gateway: clients connect to http://HOST:PORT/mcp (Streamable HTTP); every call is
decided by the policy bundle. Logs go to stderr as JSON lines; audit records to audit.path.

options:
  -c, --config FILE  configuration file (default: ./portcullis.yaml)
  -h, --help         show this help

environment overrides: PORTCULLIS_LISTEN, PORTCULLIS_POLICY_BUNDLE, PORTCULLIS_POLICY_ENTRYPOINT,
PORTCULLIS_AUDIT_PATH, PORTCULLIS_LOG_LEVEL, PORTCULLIS_NAMESPACING`;

/** Runs `serve` until a signal stops it; resolves with the exit code. */
export async function runServe(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    config: { type: "string", short: "c" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.out(`${SERVE_USAGE}\n`);
    return 0;
  }
  const file = typeof values.config === "string" ? values.config : "portcullis.yaml";
  const config = loadConfigFile(file);
  const running = await startGateway(config);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      running.gateway.logger.info({ signal }, "shutting down");
      running.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
}
