/**
 * `portcullis revoke`: adds a subject or an OAuth client to a running gateway's revocation list
 * (or removes it with --undo, or lists it with --list) through its admin endpoint. The very next
 * call of that identity is denied. From loopback no token is needed; otherwise the admin token.
 */
import { GatewayError } from "../../errors.js";
import { type Io, UsageError } from "../io.js";
import { parseCommandArgs } from "./args.js";

export const REVOKE_USAGE = `usage: portcullis revoke --gateway URL (--subject S | --client-id C | --list) [--undo]
                        [--admin-token-env VAR]

Revokes a subject or an OAuth client at a running gateway: its next call is denied (and audited).
Prints the revocation list afterwards as JSON.

options:
  --gateway URL          the gateway, e.g. http://127.0.0.1:8080 (a /mcp path is ignored)
  --subject S            the token subject (sub) to revoke
  --client-id C          the OAuth client id to revoke
  --undo                 restore instead of revoke
  --list                 only print the revocation list
  --admin-token-env VAR  send the admin token held in this environment variable
                         (needed unless the gateway is reached over loopback)
  -h, --help             show this help`;

const TIMEOUT_MS = 10_000;

/** Runs `revoke`; returns the exit code. */
export async function runRevoke(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    gateway: { type: "string" },
    subject: { type: "string" },
    "client-id": { type: "string" },
    undo: { type: "boolean" },
    list: { type: "boolean" },
    "admin-token-env": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.out(`${REVOKE_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  if (typeof values.gateway !== "string") throw new UsageError("--gateway URL is required");
  let endpoint: URL;
  try {
    endpoint = new URL("/admin/revocations", values.gateway);
  } catch {
    throw new UsageError(`--gateway must be a URL, not ${values.gateway}`);
  }
  const targets = [values.subject, values["client-id"]].filter((v) => typeof v === "string");
  const list = values.list === true;
  if (list ? targets.length !== 0 : targets.length !== 1) {
    throw new UsageError("give exactly one of --subject, --client-id or --list");
  }
  const headers: Record<string, string> = { accept: "application/json" };
  const tokenVar = values["admin-token-env"];
  if (typeof tokenVar === "string") {
    const token = env[tokenVar];
    if (token === undefined || token === "") throw new UsageError(`environment variable ${tokenVar} is not set`);
    headers.authorization = `Bearer ${token}`;
  }
  let body: string | undefined;
  if (!list) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(
      typeof values.subject === "string" ? { subject: values.subject } : { client_id: values["client-id"] },
    );
  }
  const method = list ? "GET" : values.undo === true ? "DELETE" : "POST";
  let response: Response;
  try {
    response = await fetch(endpoint, { method, headers, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    throw new GatewayError(
      "PORTCULLIS_UPSTREAM_UNAVAILABLE",
      `cannot reach ${endpoint.origin}: ${(e as Error).message}`,
    );
  }
  const text = (await response.text()).slice(0, 64 * 1024);
  if (!response.ok) {
    let message = text;
    try {
      const parsed = JSON.parse(text) as { error?: { message?: string } };
      message = parsed.error?.message ?? text;
    } catch {
      // Not JSON: the text as it came.
    }
    io.err(`portcullis revoke: the gateway answered HTTP ${response.status}: ${message}\n`);
    return 1;
  }
  const parsed = JSON.parse(text) as { revocations?: unknown };
  io.out(`${JSON.stringify(list ? parsed : (parsed.revocations ?? parsed), null, 2)}\n`);
  return 0;
}
