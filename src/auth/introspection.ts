/**
 * RFC 7662 token introspection for opaque access tokens: the gateway authenticates as a client
 * (HTTP Basic), posts the token, and accepts it only when the answer says `active: true` and its
 * `exp`, `iss` and `aud` (when present) fit this resource.
 */
import type { AuthConfig } from "../config/auth.js";
import { fetchJsonObject } from "./fetch-json.js";

/** The outcome of one introspection. */
export type IntrospectionOutcome =
  | { ok: true; claims: Record<string, unknown> }
  | { ok: false; reason: string; unavailable?: boolean };

type IntrospectionConfig = NonNullable<AuthConfig["introspection"]>;

const MAX_RESPONSE_BYTES = 64 * 1024;

/** Introspects tokens at one endpoint. */
export class IntrospectionClient {
  private readonly authorization: string;

  constructor(
    private readonly config: IntrospectionConfig,
    private readonly expected: { issuer: string; audience: string; clockToleranceS: number },
    clientSecret: string,
  ) {
    // RFC 6749 2.3.1: client id and secret are form-urlencoded before Basic encoding.
    const user = encodeURIComponent(config.client_id);
    const password = encodeURIComponent(clientSecret);
    this.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  }

  /** Asks the authorization server about `token`; never throws. */
  async introspect(token: string): Promise<IntrospectionOutcome> {
    let answer: Record<string, unknown>;
    try {
      answer = await fetchJsonObject(this.config.url, {
        timeoutMs: this.config.timeout_ms,
        maxBytes: MAX_RESPONSE_BYTES,
        init: {
          method: "POST",
          headers: {
            authorization: this.authorization,
            "content-type": "application/x-www-form-urlencoded",
            accept: "application/json",
          },
          body: new URLSearchParams({ token, token_type_hint: "access_token" }).toString(),
        },
      });
    } catch (e) {
      return { ok: false, reason: `introspection failed: ${(e as Error).message}`, unavailable: true };
    }
    if (answer.active !== true) return { ok: false, reason: "the token is not active" };
    const now = Date.now() / 1000;
    const tolerance = this.expected.clockToleranceS;
    if (typeof answer.exp === "number" && answer.exp + tolerance <= now) {
      return { ok: false, reason: "the token has expired" };
    }
    if (typeof answer.nbf === "number" && answer.nbf - tolerance > now) {
      return { ok: false, reason: "the token is not valid yet (nbf)" };
    }
    if (answer.iss !== undefined && answer.iss !== this.expected.issuer) {
      return { ok: false, reason: "the token is from another issuer" };
    }
    if (answer.aud !== undefined) {
      const audiences = Array.isArray(answer.aud) ? answer.aud : [answer.aud];
      if (!audiences.includes(this.expected.audience)) {
        return { ok: false, reason: "the token is not for this resource (aud)" };
      }
    }
    return { ok: true, claims: answer };
  }
}

/** True when `token` has the shape of a JWS compact serialization (three base64url parts). */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}
