/**
 * The gateway's configuration (`portcullis.yaml`) as a zod schema: the single place where its keys,
 * defaults and bounds are defined. Parsed once at the edge; the rest of the gateway trusts the type.
 */
import { z } from "zod";
import { adminSchema, authSchema, checkAuthRules, upstreamCredentialsSchema, upstreamIdentitySchema } from "./auth.js";
import { policySourceKeys } from "./policy-source.js";
import { verificationSchema } from "./verification.js";

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** `host:port`, `[v6]:port` or `:port`; port 0 picks a free port. */
const listenSchema = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):\d{1,5}$/, "must be host:port, e.g. 127.0.0.1:8080")
  .refine((s) => {
    const port = Number(s.slice(s.lastIndexOf(":") + 1));
    // A malformed value already has the regex's message; this one is only about the number.
    return !Number.isInteger(port) || port <= 65535;
  }, "port must be 0..65535");

const durationMs = (min: number, max: number) => z.number().int().min(min).max(max);

const upstreamCommon = {
  name: z.string().regex(NAME, "must be 1-64 letters, digits, '_' or '-', starting with a letter or digit"),
  /** Per-request timeout for calls to this upstream. */
  timeout_ms: durationMs(100, 3_600_000).default(60_000),
  /** How long connecting (process start + initialize) may take. */
  connect_timeout_ms: durationMs(100, 600_000).default(10_000),
  /** Largest message (HTTP body, stdio line) accepted from this upstream. */
  max_response_bytes: z
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(32 * 1024 * 1024),
};

const httpUpstreamSchema = z
  .object({
    ...upstreamCommon,
    url: z.url({ protocol: /^https?$/ }),
    /** Static headers sent upstream (for upstream credentials). Never the client's own headers. */
    headers: z.record(z.string(), z.string()).default({}),
    /** One upstream MCP session per client session (default), or one shared by all clients. */
    sessions: z.enum(["per-client", "shared"]).default("per-client"),
    /** What the upstream learns of the caller (docs/auth.md): nothing, or a JWT the gateway mints. */
    identity: upstreamIdentitySchema,
    /** Static credentials read at start from the environment or a file. */
    credentials: upstreamCredentialsSchema.optional(),
  })
  .strict();

const stdioUpstreamSchema = z
  .object({
    ...upstreamCommon,
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().optional(),
    /** One process shared by all client sessions (default), or one process per client session. */
    sessions: z.enum(["per-client", "shared"]).default("shared"),
    /** Stop the process after this long without a request (0 = never). */
    idle_timeout_ms: durationMs(0, 86_400_000).default(300_000),
    /** Restart backoff after a crash: doubled per consecutive failure, up to the maximum. */
    restart_backoff_ms: durationMs(10, 60_000).default(500),
    restart_backoff_max_ms: durationMs(10, 600_000).default(30_000),
  })
  .strict();

type HttpUpstream = z.infer<typeof httpUpstreamSchema>;
type StdioUpstream = z.infer<typeof stdioUpstreamSchema>;

/**
 * An upstream is HTTP when it has `url`, stdio when it has `command`: deciding first lets every
 * problem be reported against the right schema, by key path, instead of one union error.
 */
export const upstreamSchema = z.unknown().transform((value, ctx): HttpUpstream | StdioUpstream => {
  const kind =
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? "url" in value
        ? httpUpstreamSchema
        : "command" in value
          ? stdioUpstreamSchema
          : undefined
      : undefined;
  if (kind === undefined) {
    ctx.addIssue({
      code: "custom",
      message: "an upstream needs either `url` (Streamable HTTP) or `command` (stdio), with `name`",
    });
    return z.NEVER;
  }
  const parsed = kind.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues)
    ctx.addIssue({ ...issue, path: issue.path } as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

export const configSchema = z
  .object({
    listen: listenSchema.default("127.0.0.1:8080"),
    /** Host headers accepted besides the loopback names (DNS rebinding protection). */
    allowed_hosts: z.array(z.string().min(1)).default([]),
    /** Origin headers accepted besides http(s)://localhost|127.0.0.1|[::1] with any port. */
    allowed_origins: z.array(z.string().min(1)).default([]),
    policy: z
      .object({
        bundle: z.string().min(1),
        entrypoint: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/, "must be a path like portcullis/decision")
          .default("portcullis/decision"),
        /** A decision that takes longer is an error, hence a deny. */
        timeout_ms: durationMs(1, 60_000).default(100),
        ...policySourceKeys,
        /** Bundle signature verification (OPA's keys + signing). See src/config/verification.ts. */
        verification: verificationSchema.optional(),
      })
      .strict(),
    upstreams: z.array(upstreamSchema).min(1, "at least one upstream is needed"),
    namespacing: z.enum(["always", "on-conflict"]).default("always"),
    namespace_separator: z
      .string()
      .regex(/^[A-Za-z0-9_.:/-]{1,8}$/, "must be 1-8 characters from letters, digits and _ . : / -")
      .default("__"),
    /** OAuth 2.1 resource server settings, or `none` (loopback only). See src/config/auth.ts. */
    auth: authSchema,
    admin: adminSchema,
    /** Who anonymous callers are until authentication is configured. */
    anonymous: z
      .object({
        subject: z.string().nullable().default(null),
        groups: z.array(z.string()).default(["engineering"]),
      })
      .strict()
      .default({ subject: null, groups: ["engineering"] }),
    audit: z
      .object({
        path: z.string().min(1).default("-"),
        /** Log raw tool arguments in audit records (default: only their SHA-256 digest). */
        include_arguments: z.boolean().default(false),
      })
      .strict()
      .default({ path: "-", include_arguments: false }),
    log: z
      .object({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info") })
      .strict()
      .default({ level: "info" }),
    limits: z
      .object({
        max_body_bytes: z
          .number()
          .int()
          .min(1024)
          .max(256 * 1024 * 1024)
          .default(4 * 1024 * 1024),
        max_sessions: z.number().int().min(1).max(1_000_000).default(10_000),
        session_idle_timeout_ms: durationMs(1000, 86_400_000).default(1_800_000),
        /** How long shutdown waits for in-flight calls. */
        shutdown_grace_ms: durationMs(0, 600_000).default(10_000),
        /** Upper bound on list pages fetched from one upstream for one list request. */
        max_list_pages: z.number().int().min(1).max(10_000).default(100),
        /** Requests one session may have in flight at once; more are refused. */
        max_inflight_per_session: z.number().int().min(1).max(100_000).default(256),
      })
      .strict()
      .default({
        max_body_bytes: 4 * 1024 * 1024,
        max_sessions: 10_000,
        session_idle_timeout_ms: 1_800_000,
        shutdown_grace_ms: 10_000,
        max_list_pages: 100,
        max_inflight_per_session: 256,
      }),
  })
  .strict()
  .superRefine((config, ctx) => {
    checkAuthRules(config, ctx);
    const seen = new Set<string>();
    config.upstreams.forEach((u, i) => {
      if (seen.has(u.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["upstreams", i, "name"],
          message: `duplicate upstream name "${u.name}"`,
        });
      }
      seen.add(u.name);
      if (u.name.includes(config.namespace_separator)) {
        ctx.addIssue({
          code: "custom",
          path: ["upstreams", i, "name"],
          message: `must not contain the namespace separator "${config.namespace_separator}"`,
        });
      }
    });
  });

export type Config = z.infer<typeof configSchema>;
export type UpstreamConfig = HttpUpstream | StdioUpstream;
export type HttpUpstreamConfig = HttpUpstream;
export type StdioUpstreamConfig = StdioUpstream;

/** True for an upstream reached over Streamable HTTP. */
export function isHttpUpstream(u: UpstreamConfig): u is HttpUpstreamConfig {
  return "url" in u;
}
