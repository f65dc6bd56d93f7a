/**
 * Authenticates one request from its `Authorization: Bearer` header: cache by token hash, else
 * JWT verification or RFC 7662 introspection, then claims to identity, required scopes and the
 * revocation list. Tokens in the query string are refused. Never logs or returns the token.
 */
import type { AuthConfig } from "../config/auth.js";
import { type AuthenticatedIdentity, identityFromClaims } from "./identity.js";
import { IntrospectionClient, looksLikeJwt } from "./introspection.js";
import { JwtVerifier } from "./jwt.js";
import type { RevocationList } from "./revocations.js";
import { TokenCache } from "./token-cache.js";

/** The outcome of authenticating one request. */
export type AuthOutcome =
  | { kind: "ok"; identity: AuthenticatedIdentity }
  /** No usable token; `tokenGiven` selects `error="invalid_token"` in WWW-Authenticate. */
  | { kind: "unauthenticated"; reason: string; tokenGiven: boolean }
  /** The token could not be checked (keys or introspection unreachable): fail closed with 503. */
  | { kind: "unavailable"; reason: string }
  | { kind: "insufficient_scope"; reason: string; scopes: string[]; identity: AuthenticatedIdentity }
  | { kind: "revoked"; identity: AuthenticatedIdentity };

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** Authenticates bearer tokens for one resource. */
export class Authenticator {
  private readonly jwt: JwtVerifier;
  private readonly introspection: IntrospectionClient | undefined;
  private readonly cache: TokenCache<AuthenticatedIdentity>;
  private readonly mapping: { groupsClaim: string; clientIdClaim: string };

  constructor(
    readonly config: AuthConfig,
    private readonly revocations: RevocationList,
    introspectionSecret?: string,
  ) {
    this.jwt = new JwtVerifier(config);
    this.introspection =
      config.introspection && introspectionSecret !== undefined
        ? new IntrospectionClient(
            config.introspection,
            { issuer: config.issuer, audience: config.audience, clockToleranceS: config.clock_tolerance_s },
            introspectionSecret,
          )
        : undefined;
    this.cache = new TokenCache(config.token_cache.max_entries, config.token_cache.max_ttl_s * 1000);
    this.mapping = { groupsClaim: config.groups_claim, clientIdClaim: config.client_id_claim };
  }

  /** Fetches the issuer's keys ahead of the first call; resolves with a problem to log, if any. */
  warmUp(): Promise<string | undefined> {
    return this.config.introspection?.mode === "always" ? Promise.resolve(undefined) : this.jwt.warmUp();
  }

  /** Authenticates a request from its Authorization header and URL; never throws. */
  async authenticate(authorization: string | undefined, url: string): Promise<AuthOutcome> {
    if (hasQueryToken(url)) {
      return {
        kind: "unauthenticated",
        reason: "access tokens are not accepted in the query string",
        tokenGiven: true,
      };
    }
    if (authorization === undefined || authorization === "") {
      return { kind: "unauthenticated", reason: "no bearer token", tokenGiven: false };
    }
    if (authorization.length > this.config.max_token_bytes) {
      return { kind: "unauthenticated", reason: "the Authorization header is too long", tokenGiven: true };
    }
    const token = bearerTokenOf(authorization);
    if (token === undefined) {
      return { kind: "unauthenticated", reason: "the Authorization header is not a Bearer token", tokenGiven: true };
    }
    const key = TokenCache.keyOf(token);
    let identity = this.cache.get(key);
    if (identity === undefined) {
      const verified = await this.verify(token);
      if (verified.kind !== "ok") return verified;
      identity = verified.identity;
      this.cache.set(key, identity, identity.expires_at === null ? null : identity.expires_at * 1000);
    } else if (identity.expires_at !== null && identity.expires_at * 1000 <= Date.now()) {
      return { kind: "unauthenticated", reason: "the token has expired", tokenGiven: true };
    }
    return this.admit(identity);
  }

  /** Scopes every token needs and the revocation list, checked on every request (cached or not). */
  private admit(identity: AuthenticatedIdentity): AuthOutcome {
    if (this.revocations.isRevoked(identity.subject, identity.client_id)) return { kind: "revoked", identity };
    const required = this.config.required_scopes;
    if (required.length > 0) {
      const missing = required.filter((s) => !identity.scopes.includes(s));
      if (missing.length > 0) {
        return {
          kind: "insufficient_scope",
          reason: `the token lacks the scope(s) ${missing.join(" ")}`,
          scopes: required,
          identity,
        };
      }
    }
    return { kind: "ok", identity };
  }

  private async verify(token: string): Promise<AuthOutcome> {
    const introspect =
      this.introspection !== undefined && (this.config.introspection?.mode === "always" || !looksLikeJwt(token));
    const outcome = introspect ? await this.introspection?.introspect(token) : await this.jwt.verify(token);
    if (outcome === undefined) return { kind: "unauthenticated", reason: "malformed token", tokenGiven: true };
    if (!outcome.ok) {
      return outcome.unavailable
        ? { kind: "unavailable", reason: outcome.reason }
        : { kind: "unauthenticated", reason: outcome.reason, tokenGiven: true };
    }
    const identity = identityFromClaims(outcome.claims as Record<string, unknown>, this.mapping);
    if (typeof identity === "string") return { kind: "unauthenticated", reason: identity, tokenGiven: true };
    if (introspect && identity.issuer === null) identity.issuer = this.config.issuer;
    return { kind: "ok", identity };
  }
}

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 syntax), else undefined. */
export function bearerTokenOf(authorization: string): string | undefined {
  return BEARER.exec(authorization)?.[1];
}

/** True when the URL's query carries an `access_token` parameter (RFC 6750 2.3, refused here). */
export function hasQueryToken(url: string): boolean {
  const q = url.indexOf("?");
  if (q < 0) return false;
  return new URLSearchParams(url.slice(q + 1)).has("access_token");
}
