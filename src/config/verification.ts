/**
 * `policy.verification`: how the gateway checks a bundle's `.signatures.json`, modelled on OPA's
 * `keys` and bundle `signing` settings. When it is present, every bundle must carry a signature
 * made with one of these keys that covers exactly the bundle's files.
 */
import { z } from "zod";

/** The JWS algorithms OPA accepts for bundle signatures. */
export const SIGNATURE_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "HS256",
  "HS384",
  "HS512",
  "EdDSA",
] as const;

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,127}$/;

const verificationKeySchema = z
  .object({
    /** The JWS algorithm signatures made with this key use (OPA's default: RS256). */
    algorithm: z.enum(SIGNATURE_ALGORITHMS).default("RS256"),
    /** PEM public key or certificate (RS*, PS*, ES*, EdDSA), or the shared secret (HS*), inline. */
    key: z.string().min(1).optional(),
    /** A file holding the PEM key or the secret (read once at start-up; a secret is used byte for byte). */
    key_file: z.string().min(1).optional(),
    /** An environment variable holding the PEM key or the secret. */
    key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name")
      .optional(),
    /** The scope signatures made with this key must carry (unless `scope` is set for all keys). */
    scope: z.string().optional(),
  })
  .strict()
  .refine(
    (k) => [k.key, k.key_file, k.key_env].filter((x) => x !== undefined).length === 1,
    "give exactly one of key, key_file and key_env",
  );

export const verificationSchema = z
  .object({
    /** Verification keys by key id (the signature's `kid`). */
    keys: z
      .record(z.string().regex(KEY_ID, "key ids are 1-128 letters, digits and _ . : @ / -"), verificationKeySchema)
      .refine((keys) => Object.keys(keys).length > 0, "at least one key is needed")
      .refine((keys) => Object.keys(keys).length <= 100, "at most 100 keys"),
    /** Verify every bundle with this key, whatever key id the signature names (as OPA's `keyid`). */
    key_id: z.string().regex(KEY_ID).optional(),
    /** The scope every signature must carry (overrides the keys' own scopes). */
    scope: z.string().optional(),
    /** Files left out of verification: Go filepath.Match patterns (`*` does not cross `/`), as OPA. */
    exclude_files: z.array(z.string().min(1).max(1024)).max(100).default([]),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.key_id !== undefined && !Object.hasOwn(v.keys, v.key_id)) {
      ctx.addIssue({ code: "custom", path: ["key_id"], message: `names no key under keys (${v.key_id})` });
    }
  });

export type PolicyVerificationConfig = z.infer<typeof verificationSchema>;

/** `config` with every `key_file` resolved by `at` (relative to the configuration file's directory). */
export function resolveKeyFiles(
  config: PolicyVerificationConfig,
  at: (path: string) => string,
): PolicyVerificationConfig {
  const keys = Object.fromEntries(
    Object.entries(config.keys).map(([kid, key]) => [
      kid,
      key.key_file === undefined ? key : { ...key, key_file: at(key.key_file) },
    ]),
  );
  return { ...config, keys };
}
