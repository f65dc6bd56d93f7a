/**
 * JWT access token verification with `jose`: signature against the issuer's JWKS (fetched with a
 * timeout, cached, refetched on an unknown `kid` at most once per cooldown), `iss`, `aud` (this
 * gateway's resource URI, RFC 8707), `exp` required, `nbf`, clock tolerance, an allow-list of
 * asymmetric algorithms, optionally `typ: at+jwt` (RFC 9068). `jwks_uri` is discovered from the
 * issuer's metadata (RFC 8414, then OpenID Connect Discovery) when not configured.
 */
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import type { AuthConfig } from "../config/auth.js";
import { discoverEndpoint } from "./discovery.js";
import { AuthServerError } from "./fetch-json.js";

/** The outcome of verifying one token. */
export type JwtOutcome =
  | { ok: true; claims: JWTPayload }
  /** `unavailable`: the keys could not be fetched (the token may be fine; answer 503, not 401). */
  | { ok: false; reason: string; unavailable?: boolean };

/** Verifies JWT access tokens for one issuer and audience. */
export class JwtVerifier {
  private keys: JWTVerifyGetKey | undefined;
  private discovery: Promise<JWTVerifyGetKey> | undefined;
  private discoveryFailedAt = 0;
  private readonly algorithms: Set<string>;

  constructor(private readonly config: AuthConfig) {
    this.algorithms = new Set(config.algorithms);
    if (config.jwks_uri !== undefined) this.keys = this.remoteKeys(config.jwks_uri);
  }

  /** Finds the JWKS now (at start), so the first call does not wait for discovery; never throws. */
  async warmUp(): Promise<string | undefined> {
    try {
      await this.keySet();
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  }

  /** Verifies `token`; never throws. */
  async verify(token: string): Promise<JwtOutcome> {
    let alg: unknown;
    let typ: unknown;
    try {
      ({ alg, typ } = decodeProtectedHeader(token));
    } catch {
      return { ok: false, reason: "malformed token" };
    }
    // Refused before any key is looked up: `none`, HS* (key confusion) and anything not allowed.
    if (typeof alg !== "string" || !this.algorithms.has(alg)) {
      return { ok: false, reason: `algorithm ${typeof alg === "string" ? alg.slice(0, 20) : "?"} is not allowed` };
    }
    if (this.config.require_at_jwt && (typeof typ !== "string" || !/^(application\/)?at\+jwt$/i.test(typ))) {
      return { ok: false, reason: 'the token is not typ "at+jwt"' };
    }
    let keys: JWTVerifyGetKey;
    try {
      keys = await this.keySet();
    } catch (e) {
      return { ok: false, reason: (e as Error).message, unavailable: true };
    }
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: this.config.issuer,
        audience: this.config.audience,
        algorithms: [...this.algorithms],
        clockTolerance: this.config.clock_tolerance_s,
        requiredClaims: ["exp", "sub"],
      });
      return { ok: true, claims: payload };
    } catch (e) {
      return describeFailure(e);
    }
  }

  private async keySet(): Promise<JWTVerifyGetKey> {
    if (this.keys) return this.keys;
    if (this.discovery) return this.discovery;
    const wait = this.discoveryFailedAt + this.config.jwks.cooldown_ms - Date.now();
    if (wait > 0) {
      throw new AuthServerError(`the issuer's metadata could not be fetched; retrying in ${Math.ceil(wait / 1000)} s`);
    }
    this.discovery = this.discover().then(
      (uri) => {
        this.keys = this.remoteKeys(uri);
        this.discovery = undefined;
        return this.keys;
      },
      (e: unknown) => {
        this.discovery = undefined;
        this.discoveryFailedAt = Date.now();
        throw e;
      },
    );
    return this.discovery;
  }

  private remoteKeys(uri: string): JWTVerifyGetKey {
    return createRemoteJWKSet(new URL(uri), {
      timeoutDuration: this.config.jwks.timeout_ms,
      cooldownDuration: this.config.jwks.cooldown_ms,
      cacheMaxAge: this.config.jwks.cache_max_age_ms,
    });
  }

  /** `jwks_uri` from the issuer's authorization server metadata, else its OpenID configuration. */
  private discover(): Promise<string> {
    return discoverEndpoint(this.config.issuer, "jwks_uri", this.config.discovery_timeout_ms);
  }
}

/** A short, token-free reason for a failed verification. */
function describeFailure(e: unknown): JwtOutcome {
  if (e instanceof errors.JWTExpired) return { ok: false, reason: "the token has expired" };
  if (e instanceof errors.JWTClaimValidationFailed) {
    const claim = e.claim;
    if (claim === "iss") return { ok: false, reason: "the token is from another issuer" };
    if (claim === "aud") return { ok: false, reason: "the token is not for this resource (aud)" };
    if (claim === "nbf") return { ok: false, reason: "the token is not valid yet (nbf)" };
    return { ok: false, reason: `the token's ${claim} claim is ${e.reason === "missing" ? "missing" : "invalid"}` };
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: "bad signature" };
  if (e instanceof errors.JWKSNoMatchingKey) return { ok: false, reason: "no key of the issuer matches the token" };
  if (e instanceof errors.JOSEAlgNotAllowed) return { ok: false, reason: "algorithm not allowed" };
  if (e instanceof errors.JWKSTimeout) return { ok: false, reason: "the issuer's keys timed out", unavailable: true };
  if (e instanceof errors.JWKSInvalid)
    return { ok: false, reason: "the issuer's key set is invalid", unavailable: true };
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid || e instanceof errors.JOSENotSupported) {
    return { ok: false, reason: "malformed token" };
  }
  if (e instanceof errors.JOSEError && e.code === "ERR_JOSE_GENERIC") {
    // jose reports a failed JWKS HTTP response this way.
    return { ok: false, reason: "the issuer's keys could not be fetched", unavailable: true };
  }
  if (e instanceof TypeError) return { ok: false, reason: "the issuer's keys could not be fetched", unavailable: true };
  return { ok: false, reason: "the token could not be verified" };
}
