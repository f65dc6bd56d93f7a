/**
 * Defaults and option errors of the development identity provider, kept apart from server.ts so
 * the CLI can describe them without loading oidc-provider (which warns on Node 20 when imported).
 */

/** The default port and issuer. */
export const DEFAULT_DEVIDP_PORT = 9400;
export const DEFAULT_DEVIDP_ISSUER = `http://127.0.0.1:${DEFAULT_DEVIDP_PORT}`;

/** The default resource: the gateway of `npm start`. */
export const DEFAULT_DEVIDP_RESOURCE = "http://127.0.0.1:8080/mcp";

/** Scopes of the MCP resource servers (what a gateway's `auth.scopes` can ask for). */
export const DEFAULT_RESOURCE_SCOPES = ["mcp:tools", "mcp:read", "mcp:write"] as const;

/** A bad option (address, issuer, resource): the CLI shows the message as a usage error. */
export class DevIdpOptionError extends Error {
  override name = "DevIdpOptionError";
}
