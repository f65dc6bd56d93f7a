/**
 * Where the policy comes from and how it is kept current: file watching, polling an OPA bundle
 * server (`policy.bundle` as an http(s) URL, OPA's `polling` settings), and a shadow policy.
 * Spread into the `policy` object of src/config/schema.ts.
 */
import { z } from "zod";

/** True when a bundle location is an OPA bundle server URL rather than a path. */
export function isBundleUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

const pollingSchema = z
  .object({
    /** Seconds between polls: a random delay between min and max (OPA's defaults: 60..120). */
    min_delay_seconds: z.number().int().min(1).max(86_400).default(60),
    max_delay_seconds: z.number().int().min(1).max(86_400).default(120),
  })
  .strict()
  .refine((p) => p.min_delay_seconds <= p.max_delay_seconds, {
    message: "min_delay_seconds must not be greater than max_delay_seconds",
  });

const credentialsSchema = z
  .object({
    /** OPA's bearer credentials, with the token read from an environment variable at start. */
    bearer: z
      .object({
        token_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name"),
        scheme: z
          .string()
          .regex(/^[A-Za-z][A-Za-z0-9-]*$/)
          .default("Bearer"),
      })
      .strict(),
  })
  .strict();

const shadowSchema = z
  .object({
    /** Candidate bundle (path or bundle server URL) evaluated beside the active one, never enforced. */
    bundle: z.string().min(1),
    /** Defaults to `policy.entrypoint`. */
    entrypoint: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/, "must be a path like portcullis/decision")
      .optional(),
  })
  .strict();

/** The keys of `policy` about sources and reloading (spread into the `policy` object). */
export const policySourceKeys = {
  /** Reload when the bundle file or directory changes. */
  watch: z.boolean().default(true),
  /** Quiet time after the last change before reloading (editors write in several steps). */
  watch_debounce_ms: z.number().int().min(0).max(60_000).default(250),
  /** Polling of a bundle server (only when `bundle` is a URL). */
  polling: pollingSchema.default({ min_delay_seconds: 60, max_delay_seconds: 120 }),
  /** Static headers sent to the bundle server. */
  headers: z.record(z.string(), z.string()).default({}),
  credentials: credentialsSchema.optional(),
  /** Timeout of one bundle download (connect to last byte). */
  download_timeout_ms: z.number().int().min(100).max(600_000).default(30_000),
  /** Largest compressed bundle accepted from a bundle server. */
  max_download_bytes: z
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(64 * 1024 * 1024),
  shadow: shadowSchema.optional(),
};

/** The `policy` keys this file defines, as parsed. */
export interface PolicySourceConfig {
  bundle: string;
  entrypoint: string;
  timeout_ms: number;
  watch: boolean;
  watch_debounce_ms: number;
  polling: { min_delay_seconds: number; max_delay_seconds: number };
  headers: Record<string, string>;
  credentials?: { bearer: { token_env: string; scheme: string } } | undefined;
  download_timeout_ms: number;
  max_download_bytes: number;
  shadow?: { bundle: string; entrypoint?: string | undefined } | undefined;
}
