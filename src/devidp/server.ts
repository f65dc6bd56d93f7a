/**
 * Starts the development identity provider: oidc-provider plus the login/consent pages, served by
 * node:http. It listens on loopback only unless explicitly allowed, keeps everything in a bounded
 * in-memory store, and generates its keys at start, so it is for development and tests only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";
import { isLoopback } from "../config/loopback.js";
import { DEFAULT_MAX_ENTRIES, MemoryStore } from "./adapter.js";
import { buildProviderConfiguration, DEFAULT_LIFETIMES, type DevIdpLifetimes } from "./configuration.js";
import { handleInteraction, isInteractionPath } from "./interactions.js";
import { DEFAULT_DEVIDP_PORT, DEFAULT_DEVIDP_RESOURCE, DEFAULT_RESOURCE_SCOPES, DevIdpOptionError } from "./options.js";
import { DEFAULT_USERS, type DevUser, UserDirectory } from "./users.js";

export interface DevIdpOptions {
  /** Listen address (default 127.0.0.1); anything but loopback needs `allowRemote`. */
  host?: string;
  /** Port (default 9400; 0 picks a free one). */
  port?: number;
  /** Issuer identifier (default http://HOST:PORT with the port actually bound). */
  issuer?: string;
  users?: readonly DevUser[];
  /** Resource indicators tokens are issued for (default: the `npm start` gateway); the first is the default. */
  resources?: readonly string[];
  resourceScopes?: readonly string[];
  lifetimes?: Partial<DevIdpLifetimes>;
  allowRemote?: boolean;
  /** Cap per stored model (sessions, grants, tokens, clients...). */
  maxEntries?: number;
  /** Where unexpected provider errors are reported (default: nowhere). */
  onError?: (message: string) => void;
}

/** A running development identity provider. */
export interface RunningDevIdp {
  issuer: string;
  /** http://HOST:PORT the server listens on. */
  url: string;
  port: number;
  resources: readonly string[];
  resourceScopes: readonly string[];
  users: readonly DevUser[];
  store: MemoryStore;
  close(): Promise<void>;
}

/** Checks that a URL option is an absolute http(s) URL without query or fragment; returns it parsed. */
function checkHttpUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DevIdpOptionError(`${what} must be an absolute URL, got "${value}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new DevIdpOptionError(`${what} must be http(s): ${value}`);
  if (url.search !== "" || url.hash !== "" || value.includes("#")) {
    throw new DevIdpOptionError(`${what} must not have a query or fragment: ${value}`);
  }
  return url;
}

/**
 * oidc-provider sends no CORS headers on the registration endpoint; browser-based MCP clients on
 * this machine (e.g. the MCP Inspector) register from a page, so loopback origins are allowed.
 * Answers a preflight itself (returns true); otherwise only adds the headers.
 */
function registrationCors(req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  let loopback = false;
  try {
    loopback = origin !== undefined && isLoopback(new URL(origin).hostname);
  } catch {
    loopback = false;
  }
  if (!loopback || origin === undefined) return false;
  res.setHeader("access-control-allow-origin", origin);
  res.setHeader("vary", "Origin");
  if (req.method !== "OPTIONS") return false;
  res.writeHead(204, {
    "access-control-allow-methods": "POST",
    "access-control-allow-headers": "content-type, authorization",
    "access-control-max-age": "600",
  });
  res.end();
  return true;
}

/**
 * An authorization request without `scope` gets the resource scopes (those the client registered
 * for, when it registered a `scope`): oidc-provider denies a request that ends with nothing granted,
 * and MCP clients send no scope when the gateway advertises none.
 */
async function withDefaultScope(provider: Provider, url: string, scopes: readonly string[]): Promise<string> {
  const query = url.indexOf("?");
  const params = new URLSearchParams(query === -1 ? "" : url.slice(query + 1));
  const clientId = params.get("client_id");
  if ((params.get("scope") ?? "") !== "" || scopes.length === 0 || clientId === null) return url;
  const client = await provider.Client.find(clientId);
  const registered = client?.scope === undefined ? undefined : new Set(client.scope.split(" "));
  const granted = registered === undefined ? scopes : scopes.filter((s) => registered.has(s));
  if (granted.length === 0) return url;
  params.set("scope", granted.join(" "));
  return `${query === -1 ? url : url.slice(0, query)}?${params.toString()}`;
}

/** Starts the provider; resolves once it listens. */
export async function startDevIdp(options: DevIdpOptions = {}): Promise<RunningDevIdp> {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopback(host) && options.allowRemote !== true) {
    throw new DevIdpOptionError(
      `refusing to listen on ${host}: the development identity provider is loopback-only (pass --allow-remote to override)`,
    );
  }
  if (options.issuer === undefined && (host === "0.0.0.0" || host === "::")) {
    throw new DevIdpOptionError(`listening on ${host} needs --issuer: the URL clients reach this provider at`);
  }
  if (options.issuer !== undefined) {
    const url = checkHttpUrl(options.issuer, "issuer");
    if (url.pathname !== "/") throw new DevIdpOptionError(`issuer must not have a path: ${options.issuer}`);
  }
  const resources =
    options.resources && options.resources.length > 0 ? [...options.resources] : [DEFAULT_DEVIDP_RESOURCE];
  for (const r of resources) checkHttpUrl(r, "resource");
  const resourceScopes = options.resourceScopes ? [...options.resourceScopes] : [...DEFAULT_RESOURCE_SCOPES];
  const users = options.users ?? DEFAULT_USERS;
  const directory = new UserDirectory(users);
  const store = new MemoryStore(options.maxEntries ?? DEFAULT_MAX_ENTRIES);

  // The handler is attached once the provider exists: the issuer may depend on the bound port.
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503).end();
  };
  const server: Server = createServer((req, res) => handle(req, res));
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_DEVIDP_PORT, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(":") ? `[${host}]` : host;
  const url = `http://${hostInUrl}:${port}`;
  const issuer = options.issuer === undefined ? url : new URL(options.issuer).origin;

  try {
    const configuration = await buildProviderConfiguration({
      users: directory,
      resources,
      resourceScopes,
      lifetimes: { ...DEFAULT_LIFETIMES, ...options.lifetimes },
      store,
    });
    const provider = new Provider(issuer, configuration);
    const onError = options.onError;
    if (onError) {
      provider.on("server_error", (_ctx: unknown, err: unknown) =>
        onError(`dev-idp: internal error: ${err instanceof Error ? err.message : String(err)}`),
      );
    }
    const callback = provider.callback();
    handle = (req, res) => {
      const pathname = (req.url ?? "/").split("?", 1)[0] ?? "/";
      if (isInteractionPath(pathname)) void handleInteraction(provider, directory, req, res, pathname);
      else if (pathname === "/reg" && registrationCors(req, res)) return;
      else if (pathname === "/auth" && req.method === "GET") {
        void withDefaultScope(provider, req.url ?? "/", resourceScopes).then(
          (url) => {
            req.url = url;
            callback(req, res);
          },
          () => callback(req, res),
        );
      } else callback(req, res);
    };
  } catch (e) {
    server.close();
    throw e;
  }

  return {
    issuer,
    url,
    port,
    resources,
    resourceScopes,
    users,
    store,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
