/**
 * RFC 9728 OAuth 2.0 Protected Resource Metadata for this gateway, and the URL clients find it
 * at, derived from the configured resource URI (never from the request's Host header).
 */
import type { AuthConfig } from "../config/auth.js";

/** The metadata document served at /.well-known/oauth-protected-resource[/path]. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  jwks_uri?: string;
  scopes_supported?: string[];
  bearer_methods_supported: string[];
  resource_name?: string;
  resource_signing_alg_values_supported?: string[];
}

/** The metadata document; `jwksUri` is the gateway's own key set when it mints upstream tokens. */
export function protectedResourceMetadata(config: AuthConfig, jwksUri?: string): ProtectedResourceMetadata {
  return {
    resource: config.audience,
    authorization_servers: config.authorization_servers ?? [config.issuer],
    ...(jwksUri === undefined ? {} : { jwks_uri: jwksUri }),
    ...(config.scopes.length > 0 ? { scopes_supported: config.scopes } : {}),
    bearer_methods_supported: ["header"],
    ...(config.resource_name === undefined ? {} : { resource_name: config.resource_name }),
  };
}

/** Where the metadata of `resource` lives (RFC 9728 3.1: well-known inserted before the path). */
export function metadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  return `${url.origin}/.well-known/oauth-protected-resource${path}`;
}

/** The gateway's public origin (scheme, host, port of its resource URI). */
export function resourceOrigin(resource: string): string {
  return new URL(resource).origin;
}
