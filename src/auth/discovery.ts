/**
 * Authorization server metadata discovery (RFC 8414, then OpenID Connect Discovery): one endpoint
 * of the issuer's metadata, e.g. `jwks_uri` or `token_endpoint`, from a document whose `issuer`
 * matches. Bounded in time and size.
 */
import { AuthServerError, fetchJsonObject } from "./fetch-json.js";

const METADATA_MAX_BYTES = 256 * 1024;

/** RFC 8414 (well-known inserted before the issuer's path) and OpenID Connect Discovery (appended). */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ];
}

/** The http(s) URL the issuer's metadata gives for `field`; throws AuthServerError naming every attempt. */
export async function discoverEndpoint(issuer: string, field: string, timeoutMs: number): Promise<string> {
  const problems: string[] = [];
  for (const url of metadataUrls(issuer)) {
    try {
      const metadata = await fetchJsonObject(url, {
        timeoutMs,
        maxBytes: METADATA_MAX_BYTES,
        init: { headers: { accept: "application/json" } },
      });
      if (metadata.issuer !== issuer) {
        problems.push(`${url}: issuer ${JSON.stringify(metadata.issuer)} is not ${issuer}`);
        continue;
      }
      const endpoint = metadata[field];
      if (typeof endpoint === "string" && /^https?:\/\//.test(endpoint)) return endpoint;
      problems.push(`${url}: no ${field}`);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  throw new AuthServerError(`cannot discover the issuer's ${field} (${problems.join("; ")})`);
}
