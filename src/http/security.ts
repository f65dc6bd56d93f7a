/**
 * The gateway's security parts, built once at start from the configuration: the bearer token
 * authenticator (`auth`), the revocation list and admin token (`admin`), and the key that signs
 * tokens for upstreams configured with `identity: { mint }`. Secrets are read here, never logged.
 */

import type { Logger } from "pino";
import { Authenticator } from "../auth/authenticator.js";
import { TokenExchanger } from "../auth/exchange.js";
import { UpstreamTokenMinter } from "../auth/minter.js";
import { RevocationList } from "../auth/revocations.js";
import { readSecret } from "../auth/secrets.js";
import { type Config, isHttpUpstream } from "../config/schema.js";
import { GatewayError } from "../errors.js";
import type { GatewayOptions } from "../gateway/gateway.js";

/** What the front end and the gateway need to authenticate callers and identify them upstream. */
export interface GatewaySecurity {
  /** Undefined with `auth: none`. */
  authenticator: Authenticator | undefined;
  revocations: RevocationList;
  /** Present when an upstream receives a minted identity. */
  minter: UpstreamTokenMinter | undefined;
  /** RFC 8693 token exchange, by upstream name, for upstreams configured with `identity: { exchange }`. */
  exchangers: Map<string, TokenExchanger>;
  /** The bearer token of the admin endpoint, when configured. */
  adminToken: string | undefined;
}

/** Builds the security parts; throws PORTCULLIS_CONFIG_INVALID when a secret or key cannot be read. */
export async function createSecurity(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<GatewaySecurity> {
  const revocations = new RevocationList({
    max: config.admin.max_revocations,
    ...(config.admin.revocations_path === undefined ? {} : { path: config.admin.revocations_path }),
  });
  const adminToken =
    config.admin.token_env === undefined && config.admin.token_file === undefined
      ? undefined
      : readSecret("admin.token", { env: config.admin.token_env, file: config.admin.token_file }, env);
  const auth = config.auth;
  if (auth === "none") {
    return { authenticator: undefined, revocations, minter: undefined, exchangers: new Map(), adminToken };
  }
  const introspection = auth.introspection;
  const secret =
    introspection === undefined
      ? undefined
      : readSecret(
          "auth.introspection.client_secret",
          { env: introspection.client_secret_env, file: introspection.client_secret_file },
          env,
        );
  const minting = config.upstreams.some(
    (u) => "identity" in u && typeof u.identity === "object" && "mint" in u.identity,
  );
  const minter = minting ? await UpstreamTokenMinter.create(auth.audience, auth.signing_key_file) : undefined;
  const exchangers = new Map<string, TokenExchanger>();
  config.upstreams.forEach((u, i) => {
    if (!isHttpUpstream(u) || typeof u.identity !== "object" || !("exchange" in u.identity)) return;
    const exchange = u.identity.exchange;
    const clientSecret = readSecret(
      `upstreams.${i}.identity.exchange.client_secret`,
      { env: exchange.client_secret_env, file: exchange.client_secret_file },
      env,
    );
    exchangers.set(u.name, new TokenExchanger(exchange, clientSecret, auth.issuer, u.url));
  });
  return {
    authenticator: new Authenticator(auth, revocations, secret),
    revocations,
    minter,
    exchangers,
    adminToken,
  };
}

/**
 * The gateway hook that gives an upstream the caller's identity, when some upstream needs one: a
 * JWT the gateway mints (`identity: { mint }`) or one the authorization server issues in exchange
 * for the caller's token (`identity: { exchange }`).
 */
export function mintUpstreamHeaders(security: GatewaySecurity): GatewayOptions["mintUpstreamHeaders"] {
  const { minter, exchangers } = security;
  if (minter === undefined && exchangers.size === 0) return undefined;
  return async (upstream, identity, subjectToken): Promise<Record<string, string>> => {
    if (upstream.identity === "none" || identity.subject === null) return {};
    if ("exchange" in upstream.identity) {
      const exchanger = exchangers.get(upstream.name);
      if (exchanger === undefined || subjectToken === undefined) {
        throw new GatewayError("PORTCULLIS_UNAUTHENTICATED", "no caller token to exchange for the upstream");
      }
      try {
        return { authorization: `Bearer ${await exchanger.tokenFor(subjectToken)}` };
      } catch (e) {
        throw new GatewayError(
          "PORTCULLIS_AUTH_UNAVAILABLE",
          `token exchange for ${upstream.name} failed: ${(e as Error).message}`,
        );
      }
    }
    if (minter === undefined) return {};
    const token = await minter.tokenFor(
      {
        subject: identity.subject,
        groups: identity.groups,
        client_id: identity.client_id,
        delegation: identity.delegation,
        issuer: identity.issuer,
        email: identity.email,
        name: identity.name,
      },
      {
        upstream: upstream.name,
        audience: upstream.identity.mint.audience ?? upstream.url,
        ttlS: upstream.identity.mint.ttl_s,
      },
    );
    return { authorization: `Bearer ${token}` };
  };
}

/** Logs how callers are authenticated (loudly when they are not) and fetches the issuer's keys early. */
export function announceSecurity(config: Config, security: GatewaySecurity, logger: Logger): void {
  if (config.auth === "none") {
    logger.warn(
      { auth: "none", listen: config.listen },
      "AUTHENTICATION IS OFF: every caller is anonymous (allowed on loopback only); configure auth before exposing this gateway",
    );
    return;
  }
  logger.info({ issuer: config.auth.issuer, resource: config.auth.audience }, "bearer tokens required (OAuth 2.1)");
  void security.authenticator?.warmUp().then((problem) => {
    if (problem !== undefined)
      logger.warn({ problem }, "the issuer's keys are not reachable yet; calls fail until they are");
  });
}
