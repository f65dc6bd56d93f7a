/**
 * The policy bundle Portcullis runs with in the benchmark. The example policy only knows the servers
 * its data.json lists, so for the HTTP scenario's `echo` upstream the benchmark uses a temporary
 * copy whose data grants `echo` exactly as it grants the reference server `everything`: the same
 * rules are evaluated, over one more server entry.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

/** A policy directory and how the report describes it. */
export interface PolicyChoice {
  dir: string;
  description: string;
}

/** The server whose grants the benchmark upstream copies. */
const REFERENCE_SERVER = "everything";
const GRANT_FIELDS = ["tools", "prompts", "resources"] as const;

/** The policy directory: the one given, else policies/example, else a temporary allow-all policy. */
export function choosePolicy(given: string | undefined, repoRoot: string, workDir: string): PolicyChoice {
  if (given !== undefined) {
    const dir = resolve(given);
    if (!existsSync(dir)) throw new Error(`--policy ${given}: no such directory`);
    return { dir, description: relative(repoRoot, dir) || dir };
  }
  const example = join(repoRoot, "policies", "example");
  if (existsSync(example) && readdirSync(example).some((name) => name.endsWith(".rego"))) {
    return { dir: example, description: "policies/example" };
  }
  const dir = join(workDir, "allow-all-policy");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "policy.rego"), 'package portcullis\n\ndecision := {"allow": true, "reasons": []}\n');
  return { dir, description: "temporary allow-all policy (policies/example not found)" };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The policy for an upstream named `server`: `policy` itself when its data.json already lists the
 * server, has no server list, or has no reference server to copy; otherwise a copy in `workDir`
 * whose data lists `server` and grants it wherever `everything/*` is granted.
 */
export function policyForServer(policy: PolicyChoice, server: string, workDir: string): PolicyChoice {
  const dataPath = join(policy.dir, "data.json");
  if (!existsSync(dataPath)) return policy;
  const data = JSON.parse(readFileSync(dataPath, "utf8")) as Json;
  if (!isObject(data) || !isObject(data.servers) || server in data.servers) return policy;
  if (!(REFERENCE_SERVER in data.servers)) return policy;
  data.servers[server] = { description: "the benchmark's echo upstream (added by scripts/bench-gateway.ts)" };
  const groups = isObject(data.groups) ? data.groups : {};
  for (const group of Object.values(groups)) {
    if (!isObject(group)) continue;
    for (const field of GRANT_FIELDS) {
      const grants = group[field];
      if (Array.isArray(grants) && grants.includes(`${REFERENCE_SERVER}/*`)) grants.push(`${server}/*`);
    }
  }
  const dir = join(workDir, `policy-with-${server}`);
  cpSync(policy.dir, dir, { recursive: true });
  writeFileSync(join(dir, "data.json"), `${JSON.stringify(data, null, 2)}\n`);
  return {
    dir,
    description: `${policy.description} (temp copy: data.json grants server "${server}" like "${REFERENCE_SERVER}")`,
  };
}
