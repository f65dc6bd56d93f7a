/**
 * `portcullis inspect`: what a bundle holds — revision, roots, files with their sizes and SHA-256,
 * signature status, and the packages and rules its modules define — as text or JSON.
 */
import { createHash } from "node:crypto";
import { loadBundle } from "../../bundle/load.js";
import { moduleOutline } from "../../rego/index.js";
import { type Io, UsageError } from "../io.js";
import { parseCommandArgs } from "./args.js";

export const INSPECT_USAGE = `usage: portcullis inspect [--format text|json] <bundle dir or .tar.gz>

Shows a policy bundle: its revision and roots, every file it holds (size, SHA-256), whether it is
signed, and the packages and rules its modules define. Refuses what the gateway would refuse.

options:
  --format text|json  output format (default: text)
  -h, --help          show this help`;

interface Inspection {
  source: string;
  revision: string;
  roots: string[];
  signatures: "none" | "present (verification is not implemented yet)";
  files: Array<{ name: string; bytes: number; sha256: string }>;
  packages: Array<{ package: string; file: string; rules: string[] }>;
  data_keys: string[];
}

/** Runs `inspect`; returns the exit code. */
export function runInspect(argv: string[], io: Io): number {
  const { values, positionals } = parseCommandArgs(argv, {
    format: { type: "string" },
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
  const files = new Map<string, Buffer>();
  const bundle = loadBundle(path, undefined, (name, content) => files.set(name, content));
  const inspection: Inspection = {
    source: path,
    revision: bundle.revision,
    roots: bundle.roots,
    signatures: files.has(".signatures.json") ? "present (verification is not implemented yet)" : "none",
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
