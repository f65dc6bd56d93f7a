/**
 * Loading `portcullis.yaml`: YAML -> environment overrides -> zod validation -> paths resolved
 * against the file's directory. Fails fast with every problem named by its key path.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { GatewayError } from "../errors.js";
import { resolveAuthPaths } from "./auth.js";
import { isBundleUrl } from "./policy-source.js";
import { type Config, configSchema, isHttpUpstream } from "./schema.js";
import { resolveKeyFiles } from "./verification.js";

/** Environment variables that override single keys, applied after the file is read. */
export const ENV_OVERRIDES: ReadonlyArray<{ env: string; path: string[] }> = [
  { env: "PORTCULLIS_LISTEN", path: ["listen"] },
  { env: "PORTCULLIS_POLICY_BUNDLE", path: ["policy", "bundle"] },
  { env: "PORTCULLIS_POLICY_ENTRYPOINT", path: ["policy", "entrypoint"] },
  { env: "PORTCULLIS_AUDIT_PATH", path: ["audit", "path"] },
  { env: "PORTCULLIS_LOG_LEVEL", path: ["log", "level"] },
  { env: "PORTCULLIS_NAMESPACING", path: ["namespacing"] },
];

/** Reads, overrides, validates and resolves the configuration file at `file`. */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (e as Error).message;
    throw new GatewayError("PORTCULLIS_CONFIG_INVALID", `${file}: ${reason}`);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    throw new GatewayError(
      "PORTCULLIS_CONFIG_INVALID",
      `${file}: invalid YAML: ${first?.message.split("\n")[0] ?? ""}`,
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  return parseConfig(raw, { baseDir: dirname(resolve(file)), source: file, env });
}

/** Validates an already-parsed configuration object; relative paths resolve against `baseDir`. */
export function parseConfig(
  raw: unknown,
  options: { baseDir: string; source?: string; env?: NodeJS.ProcessEnv } = { baseDir: process.cwd() },
): Config {
  const source = options.source ?? "config";
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new GatewayError("PORTCULLIS_CONFIG_INVALID", `${source}: must be a mapping of keys to values`);
  }
  const merged = structuredClone(raw) as Record<string, unknown>;
  for (const { env, path } of ENV_OVERRIDES) {
    const value = options.env?.[env];
    if (value !== undefined && value !== "") setPath(merged, path, value);
  }
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    throw new GatewayError("PORTCULLIS_CONFIG_INVALID", `${source}: ${formatIssues(result.error.issues)}`);
  }
  return resolvePaths(result.data, options.baseDir);
}

/** One line per issue: `key.path: message`. */
export function formatIssues(issues: ReadonlyArray<z.core.$ZodIssue>): string {
  const lines = issues.map((issue) => {
    const path = issue.path.length === 0 ? "(top level)" : issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys")
      return `${path}: unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    return `${path}: ${issue.message}`;
  });
  return lines.length === 1 ? (lines[0] ?? "") : `\n  ${lines.join("\n  ")}`;
}

function setPath(target: Record<string, unknown>, path: string[], value: string): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = value;
}

function resolvePaths(config: Config, baseDir: string): Config {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  // A bundle server URL is not a path.
  const bundleAt = (p: string) => (isBundleUrl(p) ? p : at(p));
  const resolved: Config = {
    ...config,
    policy: {
      ...config.policy,
      bundle: bundleAt(config.policy.bundle),
      ...(config.policy.shadow
        ? { shadow: { ...config.policy.shadow, bundle: bundleAt(config.policy.shadow.bundle) } }
        : {}),
      ...(config.policy.verification ? { verification: resolveKeyFiles(config.policy.verification, at) } : {}),
    },
    audit: { ...config.audit, path: config.audit.path === "-" ? "-" : at(config.audit.path) },
    upstreams: config.upstreams.map((u) => (isHttpUpstream(u) ? u : { ...u, cwd: at(u.cwd ?? ".") })),
  };
  return resolveAuthPaths(resolved, baseDir);
}
