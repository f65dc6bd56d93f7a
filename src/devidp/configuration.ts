/**
 * The oidc-provider configuration of the development identity provider: which flows are on
 * (authorization code with PKCE S256 always required, client credentials, open dynamic client
 * registration, rotating refresh tokens), the resource servers it issues JWT access tokens for
 * (RFC 8707 resource indicators, RFC 9068 style tokens with `groups`, `email`, `name`), the demo
 * users as accounts, and lifetimes. Signing keys and cookie keys are generated per run.
 */
import { randomBytes } from "node:crypto";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { type Client, type Configuration, errors, type IssuedToken, type KoaContextWithOIDC } from "oidc-provider";
import { isLoopback } from "../config/loopback.js";
import type { MemoryStore } from "./adapter.js";
import { escapeHtml, page } from "./html.js";
import type { UserDirectory } from "./users.js";

/** OpenID Connect scopes and the claims each one releases. */
const OIDC_CLAIMS = {
  openid: ["sub"],
  profile: ["name", "preferred_username"],
  email: ["email", "email_verified"],
  groups: ["groups"],
} as const;

/** Token and artifact lifetimes, in seconds. */
export interface DevIdpLifetimes {
  accessToken: number;
  refreshToken: number;
  idToken: number;
}

export const DEFAULT_LIFETIMES: DevIdpLifetimes = { accessToken: 900, refreshToken: 86_400, idToken: 3600 };

/** What the configuration is built from. */
export interface DevIdpProviderSettings {
  users: UserDirectory;
  /** Resource indicators tokens can be issued for; the first is the default when a client names none. */
  resources: readonly string[];
  resourceScopes: readonly string[];
  lifetimes: DevIdpLifetimes;
  store: MemoryStore;
}

/** The signing key of this run: an RSA key (RS256), generated at start and never written anywhere. */
async function generateSigningJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: `devidp-${randomBytes(6).toString("hex")}`, alg: "RS256", use: "sig" };
}

/** Builds the oidc-provider configuration object. */
export async function buildProviderConfiguration(settings: DevIdpProviderSettings): Promise<Configuration> {
  const { users, resources, resourceScopes, lifetimes } = settings;
  const allowedResources = new Set(resources);
  const resourceScope = resourceScopes.join(" ");

  return {
    adapter: settings.store.adapterClass(),
    jwks: { keys: [await generateSigningJwk()] },
    cookies: {
      keys: [randomBytes(32).toString("base64url")],
      // The interaction cookies must survive the 303 from the login form back to /auth.
      long: { httpOnly: true, sameSite: "lax" },
      short: { httpOnly: true, sameSite: "lax" },
    },
    scopes: ["openid", "offline_access", ...Object.keys(OIDC_CLAIMS).filter((s) => s !== "openid"), ...resourceScopes],
    claims: OIDC_CLAIMS,
    // Put the requested user claims (groups, email, name) into the ID token too, not only userinfo.
    conformIdTokenClaims: false,
    async findAccount(_ctx: KoaContextWithOIDC, sub: string) {
      const user = users.bySub(sub);
      if (!user) return undefined;
      return {
        accountId: user.sub,
        async claims() {
          return {
            sub: user.sub,
            name: user.name,
            preferred_username: user.username,
            email: user.email,
            email_verified: true,
            groups: user.groups,
          };
        },
      };
    },
    // RFC 9068 style access tokens carry who the user is and their teams: the gateway maps them
    // into the policy input. Client-credentials tokens have no user, so nothing is added.
    async extraTokenClaims(_ctx: KoaContextWithOIDC, token: IssuedToken) {
      if (token.kind !== "AccessToken" || token.accountId === undefined) return undefined;
      const user = users.bySub(token.accountId);
      if (!user) return undefined;
      return { groups: user.groups, email: user.email, name: user.name, preferred_username: user.username };
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      registration: { enabled: true, initialAccessToken: false },
      revocation: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      // Not needed by MCP clients; off so the provider's surface stays small.
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: {
        enabled: true,
        async defaultResource(_ctx: KoaContextWithOIDC, _client: Client, oneOf?: string[]) {
          return oneOf?.[0] ?? resources[0];
        },
        // A refresh or code exchange without `resource` keeps the audience the grant was for.
        async useGrantedResource() {
          return true;
        },
        async getResourceServerInfo(_ctx: KoaContextWithOIDC, resource: string) {
          if (!allowedResources.has(resource)) {
            throw new errors.InvalidTarget(
              `unknown resource; this identity provider issues tokens for: ${resources.join(", ")}`,
            );
          }
          return {
            scope: resourceScope,
            audience: resource,
            accessTokenFormat: "jwt",
            accessTokenTTL: lifetimes.accessToken,
            jwt: { sign: { alg: "RS256" } },
          };
        },
      },
    },
    // OAuth 2.1: every authorization code flow uses PKCE (oidc-provider only implements S256).
    pkce: { required: () => true },
    // A refresh token for every client registered for the refresh_token grant (no offline_access
    // dance), rotated on every use.
    async issueRefreshToken(_ctx: KoaContextWithOIDC, client: Client) {
      return client.grantTypeAllowed("refresh_token");
    },
    rotateRefreshToken: () => true,
    ttl: {
      AccessToken: lifetimes.accessToken,
      ClientCredentials: lifetimes.accessToken,
      AuthorizationCode: 60,
      IdToken: lifetimes.idToken,
      RefreshToken: lifetimes.refreshToken,
      Interaction: 600,
      Session: 86_400,
      Grant: lifetimes.refreshToken,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
      PreAuthorizedCode: 600,
    },
    interactions: {
      url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    // Browser-based clients on this machine (e.g. the MCP Inspector) may call the token endpoint.
    clientBasedCORS(_ctx: KoaContextWithOIDC, origin: string) {
      try {
        return isLoopback(new URL(origin).hostname);
      } catch {
        return false;
      }
    },
    async renderError(ctx: KoaContextWithOIDC & { type?: string; body?: unknown }, out: Record<string, string>) {
      ctx.type = "html";
      const rows = Object.entries(out)
        .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(String(v))}</dd>`)
        .join("");
      ctx.body = page("Error", `<dl>${rows}</dl>`);
    },
  };
}
