/**
 * `portcullis dev-idp`: runs the development OAuth 2.1 / OpenID Connect provider (src/devidp/) with
 * demo users in teams until SIGINT/SIGTERM, and prints how to get a token from it.
 */
import { isLoopback } from "../../config/loopback.js";
import { DEFAULT_DEVIDP_PORT, DEFAULT_DEVIDP_RESOURCE, DevIdpOptionError } from "../../devidp/options.js";
import type { RunningDevIdp } from "../../devidp/server.js";
import { DEFAULT_USERS, DevIdpUsersError, type DevUser, loadUsersFile } from "../../devidp/users.js";
import { type Io, UsageError } from "../io.js";
import { parseCommandArgs } from "./args.js";

export const DEV_IDP_USAGE = `usage: portcullis dev-idp [--port 9400] [--issuer URL] [--users FILE] [--resource URI ...]

Runs a local OAuth 2.1 / OpenID Connect identity provider for development and tests: authorization
code + PKCE (S256), client credentials, open dynamic client registration, rotating refresh tokens,
resource indicators (JWT access tokens with aud = the resource, plus groups, email, name) and demo
users in teams. Keys are generated at start and everything is kept in memory. NOT FOR PRODUCTION.

options:
  -p, --port PORT      port to listen on (default ${DEFAULT_DEVIDP_PORT}; 0 picks a free one)
      --host HOST      address to listen on (default 127.0.0.1; loopback only unless --allow-remote)
      --issuer URL     issuer identifier (default http://HOST:PORT)
      --users FILE     demo users, YAML or JSON: users: [{username, password, groups, email, name, sub}]
      --resource URI   a resource (gateway /mcp URL) tokens may be issued for; repeatable; the first is
                       the default (default ${DEFAULT_DEVIDP_RESOURCE})
      --scope SCOPE    a scope of those resources; repeatable (default mcp:tools mcp:read mcp:write)
      --allow-remote   allow a non-loopback --host (anyone who can reach it can sign in as a demo user)
  -h, --help           show this help`;

/** Parses the options and starts the provider; returns it, or an exit code for --help and errors. */
async function start(argv: string[], io: Io): Promise<RunningDevIdp | number> {
  const { values, positionals } = parseCommandArgs(argv, {
    port: { type: "string", short: "p" },
    host: { type: "string" },
    issuer: { type: "string" },
    users: { type: "string" },
    resource: { type: "string", multiple: true },
    scope: { type: "string", multiple: true },
    "allow-remote": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.out(`${DEV_IDP_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const portText = typeof values.port === "string" ? values.port : String(DEFAULT_DEVIDP_PORT);
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) throw new UsageError(`--port must be 0..65535, got "${portText}"`);
  const strings = (v: unknown): string[] | undefined =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : undefined;
  const scopes = strings(values.scope);
  for (const s of scopes ?? []) {
    if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s)) throw new UsageError(`--scope "${s}" is not a valid scope token`);
  }
  let users: DevUser[] | undefined;
  if (typeof values.users === "string") {
    try {
      users = loadUsersFile(values.users);
    } catch (e) {
      if (!(e instanceof DevIdpUsersError)) throw e;
      io.err(`portcullis dev-idp: ${e.message}\n`);
      return 1;
    }
  }
  const host = typeof values.host === "string" ? values.host : "127.0.0.1";
  // Loaded on demand: oidc-provider is only needed (and only warns about Node 20) when this command runs.
  const { startDevIdp } = await import("../../devidp/server.js");
  try {
    return await startDevIdp({
      host,
      port,
      ...(typeof values.issuer === "string" ? { issuer: values.issuer } : {}),
      ...(users ? { users } : {}),
      ...(strings(values.resource) ? { resources: strings(values.resource) } : {}),
      ...(scopes ? { resourceScopes: scopes } : {}),
      allowRemote: values["allow-remote"] === true,
      onError: (message) => io.err(`${message}\n`),
    });
  } catch (e) {
    if (e instanceof DevIdpOptionError) throw new UsageError(e.message);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL" || code === "ENOTFOUND") {
      io.err(`portcullis dev-idp: cannot listen on ${host}:${port} (${code})\n`);
      return 1;
    }
    throw e;
  }
}

/** What the command prints once the provider listens: issuer, users, and how to get a token. */
export function describeDevIdp(idp: RunningDevIdp): string {
  const resource = idp.resources[0] ?? DEFAULT_DEVIDP_RESOURCE;
  const scope = idp.resourceScopes[0] ?? "mcp:tools";
  const width = Math.max(8, ...idp.users.map((u) => u.username.length));
  const userLines = idp.users.map(
    (u) => `  ${u.username.padEnd(width)}  ${u.groups.length > 0 ? u.groups.join(", ") : "(no team)"}`,
  );
  return `*** DEVELOPMENT IDENTITY PROVIDER: demo users, keys generated per run, everything in memory.
*** Never use it in production.

issuer:     ${idp.issuer}
discovery:  ${idp.issuer}/.well-known/openid-configuration
listening:  ${idp.url}
resources:  ${idp.resources.join(", ")}
scopes:     ${idp.resourceScopes.join(" ")}

demo users (${idp.users === DEFAULT_USERS ? "the password is the username" : "passwords as in the users file"}):
  ${"username".padEnd(width)}  groups
${userLines.join("\n")}

Point the gateway at it (portcullis.yaml):
  auth:
    issuer: ${idp.issuer}
    audience: ${resource}
    scopes: [${idp.resourceScopes.join(", ")}]

Sign in as a demo user without a browser (authorization code + PKCE, lists the tools):
  node --import tsx scripts/demo-client.ts --user alice
or with any MCP client that supports OAuth, e.g. npx @modelcontextprotocol/inspector (connect to ${resource}).

A machine token (client credentials, no user):
  curl -s ${idp.issuer}/reg -H content-type:application/json \\
    -d '{"grant_types":["client_credentials"],"response_types":[],"redirect_uris":[],"scope":"${scope}"}'
  curl -s -u CLIENT_ID:CLIENT_SECRET ${idp.issuer}/token \\
    -d grant_type=client_credentials -d scope=${scope} --data-urlencode resource=${resource}
`;
}

/** Runs `dev-idp` until a signal stops it; resolves with the exit code. */
export async function runDevIdp(argv: string[], io: Io): Promise<number> {
  const started = await start(argv, io);
  if (typeof started === "number") return started;
  io.out(describeDevIdp(started));
  if (!isLoopback(new URL(started.url).hostname)) {
    io.err(`WARNING: --allow-remote: anyone who can reach ${started.url} can sign in as a demo user and get tokens\n`);
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      started.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
