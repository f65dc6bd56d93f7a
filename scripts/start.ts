/**
 * `npm start`: the quickstart, authenticated end to end. Starts the development identity provider
 * (src/devidp/, http://127.0.0.1:9400) in-process, then the gateway with portcullis.yaml plus an
 * `auth` section pointing at it (issuer = the IdP, audience = the gateway's own /mcp URL), and
 * prints how to connect. A portcullis.yaml that configures `auth` itself is served as it is,
 * without the dev IdP. SIGINT/SIGTERM stop both.
 *
 *   node --import tsx scripts/start.ts [--config portcullis.yaml] [--idp-port 9400]
 *
 * Audit records go to stdout and logs to stderr, as with `portcullis serve`; this banner goes to
 * stderr too, so stdout stays JSON lines.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseDocument } from "yaml";
import { describeDevIdp } from "../src/cli/commands/dev-idp.js";
import { parseConfig } from "../src/config/load.js";
import { listenHost } from "../src/config/loopback.js";
import { DEFAULT_DEVIDP_PORT } from "../src/devidp/options.js";
import { type RunningDevIdp, startDevIdp } from "../src/devidp/server.js";
import { GatewayError } from "../src/errors.js";
import { type RunningGateway, startGateway } from "../src/http/server.js";

/** The scopes the quickstart gateway advertises (and MCP clients therefore ask the IdP for). */
const QUICKSTART_SCOPES = ["mcp:tools"];

function fail(message: string): never {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(1);
}

/** The gateway's MCP URL for a `listen` value (its resource URI, the tokens' audience). */
function resourceFor(listen: string): string {
  const host = listenHost(listen);
  const port = Number(listen.slice(listen.lastIndexOf(":") + 1));
  if (port === 0) fail(`listen ${listen}: the authenticated quickstart needs a fixed port (the tokens name it)`);
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}/mcp`;
}

function readRawConfig(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    fail(`${file}: cannot read the configuration`);
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) fail(`${file}: invalid YAML: ${doc.errors[0]?.message.split("\n")[0] ?? ""}`);
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(`${file}: must be a mapping`);
  return raw as Record<string, unknown>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { config: { type: "string", short: "c" }, "idp-port": { type: "string" } },
    strict: true,
  });
  const file = values.config ?? "portcullis.yaml";
  const idpPort = Number(values["idp-port"] ?? DEFAULT_DEVIDP_PORT);
  const baseDir = dirname(resolve(file));
  const raw = readRawConfig(file);
  // Parsed once as written (with environment overrides) to learn the listen address and whether
  // the file brings its own auth.
  const asWritten = parseConfig(raw, { baseDir, source: file, env: process.env });

  let idp: RunningDevIdp | undefined;
  let config = asWritten;
  if (asWritten.auth === "none") {
    const resource = resourceFor(asWritten.listen);
    idp = await startDevIdp({
      port: idpPort,
      resources: [resource],
      onError: (message) => process.stderr.write(`${message}\n`),
    });
    config = parseConfig(
      { ...raw, auth: { issuer: idp.issuer, audience: resource, scopes: QUICKSTART_SCOPES } },
      { baseDir, source: `${file} + dev-idp auth`, env: process.env },
    );
  }

  let gateway: RunningGateway;
  try {
    gateway = await startGateway(config);
  } catch (e) {
    await idp?.close();
    throw e;
  }

  if (idp) {
    process.stderr.write(`${describeDevIdp(idp)}
Portcullis gateway: ${gateway.url} (auth: bearer tokens from ${idp.issuer})
Try it:  node --import tsx scripts/demo-client.ts --user alice   (then bob, carol, erin, dave)
`);
  } else {
    process.stderr.write(`Portcullis gateway: ${gateway.url} (auth as configured in ${file})\n`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.gateway.logger.info({ signal }, "shutting down");
    gateway
      .close()
      .then(() => idp?.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

main().catch((e: unknown) => {
  if (e instanceof GatewayError) fail(`${e.code}: ${e.message}`);
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE")
    fail(`the dev identity provider's port is in use (${(e as Error).message}); try --idp-port`);
  fail(e instanceof Error ? e.message : String(e));
});
