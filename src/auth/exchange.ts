/**
 * RFC 8693 token exchange for upstreams configured with `identity: { exchange }`: the gateway
 * presents the caller's access token (as `subject_token`) to the authorization server's token
 * endpoint, authenticated as its own client, and sends the token it gets back upstream. The
 * caller's token goes only to the authorization server, never upstream. Results are cached by the
 * SHA-256 of the caller's token until shortly before they expire; neither token is ever logged.
 */
import type { UpstreamIdentityConfig } from "../config/auth.js";
import { discoverEndpoint } from "./discovery.js";
import { AuthServerError, fetchJsonObject } from "./fetch-json.js";
import { TokenCache } from "./token-cache.js";

type ExchangeConfig = Extract<UpstreamIdentityConfig, { exchange: unknown }>["exchange"];

const GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
const RESPONSE_MAX_BYTES = 64 * 1024;
const CACHE_ENTRIES = 10_000;
/** An exchanged token is not handed out in the last part of its life (clock skew, transit). */
const EXPIRY_MARGIN_MS = 10_000;

/** Exchanges callers' tokens for tokens meant for one upstream. */
export class TokenExchanger {
  private readonly cache: TokenCache<string>;
  private endpoint: Promise<string> | undefined;

  constructor(
    private readonly config: ExchangeConfig,
    private readonly clientSecret: string,
    /** The issuer whose metadata names the token endpoint when `token_endpoint` is not set. */
    private readonly issuer: string,
    /** The default `audience`: the upstream's URL. */
    private readonly upstreamUrl: string,
  ) {
    this.cache = new TokenCache(CACHE_ENTRIES, config.max_ttl_s * 1000);
  }

  /** A token for the upstream in exchange for `subjectToken`; throws AuthServerError when refused or unreachable. */
  async tokenFor(subjectToken: string): Promise<string> {
    const key = TokenCache.keyOf(subjectToken);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const endpoint = await this.tokenEndpoint();
    const form = new URLSearchParams({
      grant_type: GRANT_TYPE,
      subject_token: subjectToken,
      subject_token_type: ACCESS_TOKEN_TYPE,
      requested_token_type: ACCESS_TOKEN_TYPE,
      audience: this.config.audience ?? this.upstreamUrl,
    });
    if (this.config.resource !== undefined) form.set("resource", this.config.resource);
    if (this.config.scope !== undefined) form.set("scope", this.config.scope);
    const basic = Buffer.from(
      `${encodeURIComponent(this.config.client_id)}:${encodeURIComponent(this.clientSecret)}`,
    ).toString("base64");
    const answer = await fetchJsonObject(endpoint, {
      timeoutMs: this.config.timeout_ms,
      maxBytes: RESPONSE_MAX_BYTES,
      init: {
        method: "POST",
        headers: {
          authorization: `Basic ${basic}`,
          "content-type": "application/x-www-form-urlencoded",
          accept: "application/json",
        },
        body: form.toString(),
      },
    });
    const token = answer.access_token;
    if (typeof token !== "string" || token === "" || token.length > RESPONSE_MAX_BYTES) {
      throw new AuthServerError(`${endpoint}: the token exchange answer has no access_token`);
    }
    if (typeof answer.token_type === "string" && !/^(bearer|n_a)$/i.test(answer.token_type)) {
      throw new AuthServerError(
        `${endpoint}: the exchanged token is of type ${answer.token_type.slice(0, 40)}, not Bearer`,
      );
    }
    const lifetimeS = typeof answer.expires_in === "number" && answer.expires_in > 0 ? answer.expires_in : undefined;
    if (lifetimeS !== undefined) this.cache.set(key, token, Date.now() + lifetimeS * 1000 - EXPIRY_MARGIN_MS);
    return token;
  }

  /** The configured endpoint, else the issuer's `token_endpoint` (looked up once; retried after a failure). */
  private tokenEndpoint(): Promise<string> {
    if (this.config.token_endpoint !== undefined) return Promise.resolve(this.config.token_endpoint);
    this.endpoint ??= discoverEndpoint(this.issuer, "token_endpoint", this.config.timeout_ms).catch((e: unknown) => {
      this.endpoint = undefined;
      throw e;
    });
    return this.endpoint;
  }
}
