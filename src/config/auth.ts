/**
 * Configuration of authentication (`auth`), the admin endpoint (`admin`) and the identity and
 * credentials an HTTP upstream receives (`upstreams[].identity`, `upstreams[].credentials`).
 * Referenced from schema.ts; the cross-key rules (auth off only on loopback, minting needs auth)
 * are in `checkAuthRules`.
 */
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { isLoopback, listenHost } from "./loopback.js";

const durationMs = (min: number, max: number) => z.number().int().min(min).max(max);

/** Asymmetric JWS algorithms; HS* (shared secrets) make no sense against a JWKS and enable key confusion. */
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;

/** A secret read at start from an environment variable or a file (exactly one of them). */
const secretSource = <E extends string, F extends string>(envKey: E, fileKey: F) =>
  ({
    [envKey]: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name")
      .optional(),
    [fileKey]: z.string().min(1).optional(),
  }) as { [K in E | F]: z.ZodOptional<z.ZodString> };

const introspectionSchema = z
  .object({
    /** RFC 7662 introspection endpoint of the authorization server. */
    url: z.url({ protocol: /^https?$/ }),
    client_id: z.string().min(1),
    ...secretSource("client_secret_env", "client_secret_file"),
    timeout_ms: durationMs(100, 60_000).default(5000),
    /** `opaque`: only tokens that are not JWTs are introspected; `always`: every token is. */
    mode: z.enum(["opaque", "always"]).default("opaque"),
  })
  .strict()
  .refine((v) => (v.client_secret_env === undefined) !== (v.client_secret_file === undefined), {
    message: "needs exactly one of client_secret_env or client_secret_file",
  });

const authObjectSchema = z
  .object({
    /** The authorization server's issuer identifier (the `iss` of its tokens). */
    issuer: z.url({ protocol: /^https?$/ }),
    /** This gateway's resource URI (RFC 8707), e.g. https://gateway.example.com/mcp: tokens must name it in `aud`. */
    audience: z.url({ protocol: /^https?$/ }),
    /** Where the signing keys are; discovered from the issuer's metadata when absent. */
    jwks_uri: z.url({ protocol: /^https?$/ }).optional(),
    algorithms: z.array(z.enum(ALGORITHMS)).min(1).default(["RS256", "PS256", "ES256", "EdDSA"]),
    clock_tolerance_s: z.number().int().min(0).max(300).default(30),
    /** Dot path of the claim holding the caller's groups (e.g. `groups` or `realm_access.roles`). */
    groups_claim: z
      .string()
      .regex(/^[^.\s]+(\.[^.\s]+)*$/, "must be a dot path like groups or realm_access.roles")
      .default("groups"),
    /** Scopes this resource knows: advertised in its metadata and in WWW-Authenticate. */
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, "must be a valid scope token")).default([]),
    /** Scopes every token must carry; a token without them gets 403 insufficient_scope. */
    required_scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, "must be a valid scope token"))
      .default([]),
    /** Claim naming the OAuth client; `azp` is the fallback. */
    client_id_claim: z.string().min(1).default("client_id"),
    /** Require the JWT header `typ: at+jwt` (RFC 9068). */
    require_at_jwt: z.boolean().default(false),
    /** Longest accepted Authorization header value (bytes). */
    max_token_bytes: z.number().int().min(256).max(65_536).default(8192),
    token_cache: z
      .object({
        max_entries: z.number().int().min(0).max(1_000_000).default(10_000),
        /** A verified token is re-verified at the latest after this long (and always at its `exp`). */
        max_ttl_s: z.number().int().min(1).max(86_400).default(300),
      })
      .strict()
      .default({ max_entries: 10_000, max_ttl_s: 300 }),
    jwks: z
      .object({
        timeout_ms: durationMs(100, 60_000).default(5000),
        /** Least time between two JWKS fetches (an unknown `kid` flood cannot make the gateway fetch more). */
        cooldown_ms: durationMs(0, 3_600_000).default(30_000),
        cache_max_age_ms: durationMs(1000, 86_400_000).default(600_000),
      })
      .strict()
      .default({ timeout_ms: 5000, cooldown_ms: 30_000, cache_max_age_ms: 600_000 }),
    /** Timeout of the issuer metadata request that finds `jwks_uri`. */
    discovery_timeout_ms: durationMs(100, 60_000).default(5000),
    introspection: introspectionSchema.optional(),
    /** Human-readable name in the protected resource metadata. */
    resource_name: z.string().min(1).max(200).optional(),
    /** Authorization servers advertised in the metadata (default: the issuer). */
    authorization_servers: z
      .array(z.url({ protocol: /^https?$/ }))
      .min(1)
      .optional(),
    /** PEM (PKCS#8) or JWK file with the private key that signs upstream tokens; generated at start when absent. */
    signing_key_file: z.string().min(1).optional(),
  })
  .strict();

/** `auth: none` (anonymous callers, loopback only) or the OAuth 2.1 resource server settings. */
export const authSchema = z
  .unknown()
  .default("none")
  .transform((value, ctx): AuthConfig | "none" => {
    if (value === undefined || value === "none") return "none";
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      ctx.addIssue({ code: "custom", message: 'must be "none" or a mapping with issuer and audience' });
      return z.NEVER;
    }
    // Parsed here rather than as a union so that each problem is named by its own key path.
    const parsed = authObjectSchema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues)
      ctx.addIssue({ ...issue, path: issue.path } as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  });

/** The admin endpoint (`/admin/revocations`) and the revocation list. */
export const adminSchema = z
  .object({
    ...secretSource("token_env", "token_file"),
    /** JSON file the revocation list is kept in (survives restarts); in memory only when absent. */
    revocations_path: z.string().min(1).optional(),
    max_revocations: z.number().int().min(1).max(1_000_000).default(10_000),
  })
  .strict()
  .refine((v) => v.token_env === undefined || v.token_file === undefined, {
    message: "give token_env or token_file, not both",
  })
  .default({ max_revocations: 10_000 });

/** RFC 8693 token exchange at the authorization server: the caller's token for one for this upstream. */
const tokenExchangeSchema = z
  .object({
    /** The token endpoint (default: `token_endpoint` from the issuer's metadata). */
    token_endpoint: z.url({ protocol: /^https?$/ }).optional(),
    /** `audience` parameter (default: the upstream's URL). */
    audience: z.string().min(1).optional(),
    /** `resource` parameter (RFC 8707), when the authorization server wants one. */
    resource: z.url().optional(),
    /** `scope` parameter (space-separated). */
    scope: z.string().min(1).optional(),
    /** The gateway's own client at the authorization server (HTTP Basic authentication). */
    client_id: z.string().min(1),
    ...secretSource("client_secret_env", "client_secret_file"),
    timeout_ms: durationMs(100, 60_000).default(5000),
    /** Exchanged tokens are reused until they expire, but never longer than this. */
    max_ttl_s: z.number().int().min(1).max(3600).default(300),
  })
  .strict()
  .refine((v) => (v.client_secret_env === undefined) !== (v.client_secret_file === undefined), {
    message: "needs exactly one of client_secret_env or client_secret_file",
  });

/**
 * What an HTTP upstream learns of the caller: nothing, a short-lived JWT the gateway mints, or a
 * token the authorization server issues for it in exchange for the caller's (RFC 8693).
 */
export const upstreamIdentitySchema = z
  .union([
    z.literal("none"),
    z
      .object({
        mint: z
          .object({
            /** The token's `aud` (default: the upstream's URL). */
            audience: z.string().min(1).optional(),
            ttl_s: z.number().int().min(10).max(3600).default(60),
          })
          .strict(),
      })
      .strict(),
    z.object({ exchange: tokenExchangeSchema }).strict(),
  ])
  .default("none");

/** Static upstream credentials, read once at start. */
export const upstreamCredentialsSchema = z
  .object({
    header: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, "must be an HTTP header name")
      .default("Authorization"),
    ...secretSource("value_env", "value_file"),
    /** Prefix such as `Bearer` (a space is added). */
    scheme: z
      .string()
      .regex(/^[A-Za-z0-9._~+/-]+$/, "must be a single token such as Bearer")
      .optional(),
  })
  .strict()
  .refine((v) => (v.value_env === undefined) !== (v.value_file === undefined), {
    message: "needs exactly one of value_env or value_file",
  });

export type AuthConfig = z.infer<typeof authObjectSchema>;
export type AdminConfig = z.infer<typeof adminSchema>;
export type UpstreamIdentityConfig = z.infer<typeof upstreamIdentitySchema>;
export type UpstreamCredentialsConfig = z.infer<typeof upstreamCredentialsSchema>;

interface AuthRuleInput {
  listen: string;
  auth: AuthConfig | "none";
  upstreams: ReadonlyArray<{ name: string; sessions: string; identity?: UpstreamIdentityConfig }>;
}

/** Cross-key rules: `auth: none` only on loopback; minted identities need auth and per-client sessions. */
export function checkAuthRules(config: AuthRuleInput, ctx: z.RefinementCtx): void {
  // A malformed listen value has its own message already.
  const wellFormed = /:\d{1,5}$/.test(config.listen);
  if (config.auth === "none" && wellFormed && !isLoopback(listenHost(config.listen))) {
    ctx.addIssue({
      code: "custom",
      path: ["auth"],
      message: `authentication is off (auth: none) but listen (${config.listen}) is not loopback: configure auth (issuer, audience) or listen on 127.0.0.1`,
    });
  }
  config.upstreams.forEach((u, i) => {
    if (u.identity === undefined || u.identity === "none") return;
    if (config.auth === "none") {
      ctx.addIssue({
        code: "custom",
        path: ["upstreams", i, "identity"],
        message: "passing the caller's identity upstream (mint or exchange) needs auth to be configured",
      });
    }
    if (u.sessions !== "per-client") {
      ctx.addIssue({
        code: "custom",
        path: ["upstreams", i, "identity"],
        message:
          "an upstream identity (mint or exchange) needs sessions: per-client (a shared upstream session has no single caller)",
      });
    }
  });
}

/** Resolves the file paths of the auth, admin and upstream credential settings against `baseDir`. */
export function resolveAuthPaths<
  C extends {
    auth: AuthConfig | "none";
    admin: AdminConfig;
    upstreams: ReadonlyArray<object>;
  },
>(config: C, baseDir: string): C {
  const at = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(baseDir, p));
  const auth =
    config.auth === "none"
      ? config.auth
      : {
          ...config.auth,
          ...(config.auth.signing_key_file === undefined ? {} : { signing_key_file: at(config.auth.signing_key_file) }),
          ...(config.auth.introspection?.client_secret_file === undefined
            ? {}
            : {
                introspection: {
                  ...config.auth.introspection,
                  client_secret_file: at(config.auth.introspection.client_secret_file),
                },
              }),
        };
  const admin = {
    ...config.admin,
    ...(config.admin.token_file === undefined ? {} : { token_file: at(config.admin.token_file) }),
    ...(config.admin.revocations_path === undefined ? {} : { revocations_path: at(config.admin.revocations_path) }),
  };
  const upstreams = config.upstreams.map((u) => {
    let resolved = u;
    const credentials = (u as { credentials?: UpstreamCredentialsConfig }).credentials;
    if (credentials?.value_file !== undefined) {
      resolved = { ...resolved, credentials: { ...credentials, value_file: at(credentials.value_file) } };
    }
    const identity = (u as { identity?: UpstreamIdentityConfig }).identity;
    if (typeof identity === "object" && "exchange" in identity && identity.exchange.client_secret_file !== undefined) {
      const exchange = { ...identity.exchange, client_secret_file: at(identity.exchange.client_secret_file) };
      resolved = { ...resolved, identity: { exchange } };
    }
    return resolved;
  });
  return { ...config, auth, admin, upstreams };
}
