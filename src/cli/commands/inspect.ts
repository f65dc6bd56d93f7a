/**
 * `portcullis inspect`: what a bundle holds — revision, roots, files with their sizes and SHA-256,
 * signature status, and the packages and rules its modules define — as text or JSON.
 */
import { createHash } from "node:crypto";
import type { BundleVerification } from "../../bundle/keys.js";
import { importVerificationKey, isSigningAlgorithm, readKeyEnv, readKeyFile } from "../../bundle/keys.js";
import { loadBundleVerified } from "../../bundle/load.js";
import { moduleOutline } from "../../rego/index.js";
import { type Io, UsageError } from "../io.js";
import { parseCommandArgs } from "./args.js";

export const INSPECT_USAGE = `usage: portcullis inspect [--format text|json] [--verification-key FILE | --verification-key-env VAR]
                          [--verification-alg ALG] [--key-id K] [--scope S] <bundle dir or .tar.gz>

Shows a policy bundle: its revision and roots, every file it holds (size, SHA-256), whether it is
signed, and the packages and rules its modules define. Refuses what the gateway would refuse. With
a verification key, the signature is verified as the gateway verifies it (and a bad one refuses).

options:
  --format text|json          output format (default: text)
  --verification-key FILE     verify with this PEM public key (or, for HS*, this file's bytes as the secret)
  --verification-key-env VAR  verify with the secret or PEM key held in this environment variable
  --verification-alg ALG      the key's algorithm (default: RS256)
  --key-id K                  verify with this key whatever kid the signature names (default: default)
  --scope S                   the scope the signature must carry (default: none)
  -h, --help                  show this help`;

interface Inspection {
  source: string;
  revision: string;
  roots: string[];
  metadata: Record<string, unknown>;
  signatures: string;
  signature: { status: "none" | "unverified" | "verified"; key_id?: string; scope?: string };
  files: Array<{ name: string; bytes: number; sha256: string }>;
  packages: Array<{ package: string; file: string; rules: string[] }>;
  data_keys: string[];
}

/** Runs `inspect`; returns the exit code. */
export async function runInspect(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    format: { type: "string" },
    "verification-key": { type: "string" },
    "verification-key-env": { type: "string" },
    "verification-alg": { type: "string" },
    "key-id": { type: "string" },
    scope: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.out(`${INSPECT_USAGE}\n`);
    return 0;
  }
  const format = values.format ?? "text";
  if (format !== "text" && format !== "json")
    throw new UsageError(`--format must be text or json, not ${String(format)}`);
  if (positionals.length !== 1) throw new UsageError("inspect needs exactly one bundle (a directory or a .tar.gz)");
  const path = positionals[0] as string;
  const verification = verificationOptions(values);
  const files = new Map<string, Buffer>();
  const bundle = await loadBundleVerified(path, {
    ...(verification ? { verification } : {}),
    onFile: (name, content) => files.set(name, content),
  });
  const signature: Inspection["signature"] = !bundle.signed
    ? { status: "none" }
    : bundle.signature.verified
      ? { status: "verified", key_id: bundle.signature.keyId ?? "", scope: bundle.signature.scope ?? "" }
      : { status: "unverified" };
  const inspection: Inspection = {
    source: path,
    revision: bundle.revision,
    roots: bundle.roots,
    metadata: bundle.metadata,
    signatures:
      signature.status === "none"
        ? "none"
        : signature.status === "unverified"
          ? "present, not verified (no keys given)"
          : `verified (key "${signature.key_id}"${signature.scope ? `, scope "${signature.scope}"` : ""})`,
    signature,
    files: [...files]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, content]) => ({
        name,
        bytes: content.length,
        sha256: createHash("sha256").update(content).digest("hex"),
      })),
    packages: Object.entries(bundle.modules)
      .map(([file, source]) => {
        const outline = moduleOutline(file, source);
        return { package: ["data", ...outline.package].join("."), file, rules: outline.rules };
      })
      .sort((a, b) => (a.package === b.package ? (a.file < b.file ? -1 : 1) : a.package < b.package ? -1 : 1)),
    data_keys: Object.keys(bundle.data).sort(),
  };
  if (format === "json") {
    io.out(`${JSON.stringify(inspection, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `bundle:     ${inspection.source}`,
    `revision:   ${inspection.revision}`,
    `roots:      ${inspection.roots.map((r) => (r === "" ? "(everything)" : r)).join(", ")}`,
    ...(Object.keys(inspection.metadata).length === 0 ? [] : [`metadata:   ${JSON.stringify(inspection.metadata)}`]),
    `signatures: ${inspection.signatures}`,
    `data:       ${inspection.data_keys.length === 0 ? "(none)" : inspection.data_keys.map((k) => `data.${k}`).join(", ")}`,
    "",
    "packages:",
    ...inspection.packages.map((p) => `  ${p.package}  (${p.file})\n    ${p.rules.join(", ") || "(no rules)"}`),
    "",
    "files:",
    ...inspection.files.map((f) => `  ${f.name}  ${f.bytes} bytes  sha256:${f.sha256}`),
  ];
  io.out(`${lines.join("\n")}\n`);
  return 0;
}

/** The verification options from the `--verification-*` flags, or undefined when none is given. */
function verificationOptions(values: Record<string, unknown>): BundleVerification | undefined {
  const file = values["verification-key"];
  const env = values["verification-key-env"];
  if (typeof file === "string" && typeof env === "string")
    throw new UsageError("give --verification-key or --verification-key-env, not both");
  if (typeof file !== "string" && typeof env !== "string") {
    for (const flag of ["verification-alg", "key-id", "scope"]) {
      if (values[flag] !== undefined)
        throw new UsageError(`--${flag} needs --verification-key or --verification-key-env`);
    }
    return undefined;
  }
  const algorithm = typeof values["verification-alg"] === "string" ? values["verification-alg"] : "RS256";
  if (!isSigningAlgorithm(algorithm)) throw new UsageError(`--verification-alg: unknown algorithm ${algorithm}`);
  const where = typeof file === "string" ? `--verification-key ${file}` : `--verification-key-env ${String(env)}`;
  const material = typeof file === "string" ? readKeyFile(file, where) : readKeyEnv(env as string, where);
  const keyId = typeof values["key-id"] === "string" ? values["key-id"] : "default";
  return {
    keys: new Map([[keyId, importVerificationKey(algorithm, material, where)]]),
    keyId,
    ...(typeof values.scope === "string" ? { scope: values.scope } : {}),
    excludeFiles: [],
  };
}
