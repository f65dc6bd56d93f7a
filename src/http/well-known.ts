/**
 * Discovery documents: RFC 9728 protected resource metadata at
 * `/.well-known/oauth-protected-resource` and its path-suffixed form for the resource's path
 * (e.g. `/.well-known/oauth-protected-resource/mcp`), and the gateway's own key set at
 * `/.well-known/jwks.json` when it mints upstream tokens.
 */
import type { FastifyInstance } from "fastify";
import { protectedResourceMetadata, resourceOrigin } from "../auth/metadata.js";
import type { AuthConfig } from "../config/auth.js";
import type { GatewaySecurity } from "./security.js";

/** The path of the gateway's JWKS. */
export const JWKS_PATH = "/.well-known/jwks.json";

/** Registers the discovery routes (nothing with `auth: none`). */
export function registerWellKnownRoutes(app: FastifyInstance, auth: AuthConfig, security: GatewaySecurity): void {
  const minter = security.minter;
  const jwksUri = minter === undefined ? undefined : `${resourceOrigin(auth.audience)}${JWKS_PATH}`;
  // Built once: the document only changes with the configuration.
  const metadata = JSON.stringify(protectedResourceMetadata(auth, jwksUri));
  const path = new URL(auth.audience).pathname.replace(/\/$/, "");
  const paths = new Set(["/.well-known/oauth-protected-resource", `/.well-known/oauth-protected-resource${path}`]);
  // The MCP endpoint is /mcp whatever the public path; clients built from it ask here too.
  paths.add("/.well-known/oauth-protected-resource/mcp");
  for (const url of paths) {
    app.get(url, async (_request, reply) =>
      reply
        .header("cache-control", "public, max-age=300")
        .header("access-control-allow-origin", "*")
        .type("application/json")
        .send(metadata),
    );
  }
  if (minter !== undefined) {
    const jwks = JSON.stringify(minter.jwks);
    app.get(JWKS_PATH, async (_request, reply) =>
      reply.header("cache-control", "public, max-age=300").type("application/jwk-set+json").send(jwks),
    );
  }
}
