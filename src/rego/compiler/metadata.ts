/** `# METADATA` annotations as rego.metadata.rule() and rego.metadata.chain() return them. */
import type { Module } from "../ast.js";
import { fromJson, RegoObject, type Value } from "../value.js";
import type { CRule } from "./ir.js";

/** Normalises an annotation block as OPA does: a default scope, authors as objects. */
function normalise(raw: Record<string, unknown>, defaultScope: string): RegoObject {
  const out: Record<string, unknown> = { ...raw };
  out.scope ??= defaultScope;
  if (Array.isArray(out.authors)) {
    out.authors = out.authors.map((a) => (typeof a === "string" ? parseAuthor(a) : a));
  }
  return fromJson(out) as RegoObject;
}

/** "Jane Doe <jane@example.com>" -> {name, email}. */
function parseAuthor(s: string): Record<string, string> {
  const m = /^(.*?)\s*<([^>]+)>\s*$/.exec(s.trim());
  if (!m) return { name: s.trim() };
  const name = (m[1] ?? "").trim();
  return name ? { name, email: m[2] ?? "" } : { email: m[2] ?? "" };
}

function entry(path: string[], annotations: RegoObject | undefined): Value {
  const o = new RegoObject();
  if (annotations) o.set("annotations", annotations);
  o.set("path", path);
  return o;
}

/** Package annotations by package path (joined with "."), across all modules. */
export function packageAnnotations(modules: Module[]): Map<string, RegoObject[]> {
  const out = new Map<string, RegoObject[]>();
  for (const m of modules) {
    if (!m.package.annotations) continue;
    const key = m.package.path.join(".");
    const list = out.get(key) ?? [];
    list.push(normalise(m.package.annotations, "package"));
    out.set(key, list);
  }
  return out;
}

/** Fills `metadataRule` and `metadataChain` of every rule in a rule set. */
export function attachMetadata(
  rules: CRule[],
  path: string[],
  pkgPath: string[],
  byPackage: ReadonlyMap<string, RegoObject[]>,
): void {
  const docAnnotations: RegoObject[] = [];
  for (const r of rules) {
    if (r.annotations && r.annotations.scope === "document") docAnnotations.push(normalise(r.annotations, "document"));
  }
  const pkgAnnotations = byPackage.get(pkgPath.join(".")) ?? [];
  for (const first of rules) {
    for (let r: CRule | undefined = first; r; r = r.else) {
      const own = r.annotations && r.annotations.scope !== "document" ? normalise(r.annotations, "rule") : undefined;
      r.metadataRule = own ?? new RegoObject();
      const chain: Value[] = [entry(path, own)];
      for (const d of docAnnotations) chain.push(entry(path, d));
      for (const p of pkgAnnotations) chain.push(entry(pkgPath, p));
      r.metadataChain = chain;
    }
  }
}
