/**
 * Reading a policy bundle in OPA's layout, from a directory or a `.tar.gz`: `*.rego` modules,
 * `data.json` / `data.yaml` files placed at their directory's path, and an optional `.manifest`
 * (revision, roots). Every size and count is bounded, since a bundle may come from elsewhere.
 */
import { createHash } from "node:crypto";
import { type Dirent, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, posix, relative, sep } from "node:path";
import { gunzipSync } from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import { parse as parseYaml } from "yaml";
import { GatewayError } from "../errors.js";
import { type Json, moduleOutline, RegoError } from "../rego/index.js";
import type { BundleVerification } from "./keys.js";
import { isSchemaFile, validateData } from "./schemas.js";
import { SIGNATURES_FILE, verifyBundleFiles } from "./signing.js";

/** Bounds on what a bundle may contain. */
export interface BundleLimits {
  maxFiles: number;
  maxFileBytes: number;
  maxTotalBytes: number;
}

export const DEFAULT_BUNDLE_LIMITS: BundleLimits = {
  maxFiles: 10_000,
  maxFileBytes: 64 * 1024 * 1024,
  maxTotalBytes: 512 * 1024 * 1024,
};

/** A bundle's contents, ready to compile. */
export interface Bundle {
  /** Where it was read from. */
  source: string;
  /** `.manifest` revision; without one, `sha256:` and the first 16 hex digits of the contents' digest. */
  revision: string;
  /** Whether the bundle carries `.signatures.json`. */
  signed: boolean;
  /** Whether that signature was verified (only `loadBundleVerified` with keys verifies), by which key, with which scope. */
  signature: BundleSignature;
  /** `.manifest` roots (default: the whole data tree). */
  roots: string[];
  /** `.manifest` metadata, as given (default: empty). */
  metadata: { [key: string]: Json };
  /** Module sources by path inside the bundle. */
  modules: Record<string, string>;
  data: { [key: string]: Json };
}

/** A bundle's signature status: `verified` is true only when `loadBundleVerified` checked it with configured keys. */
export interface BundleSignature {
  verified: boolean;
  keyId?: string;
  /** The signature's scope claim ("" when none). */
  scope?: string;
}

/** Options of `loadBundleVerified`. */
export interface LoadOptions {
  limits?: BundleLimits;
  /** Keys to check `.signatures.json` with; without them a signed bundle loads as `signed: true, verified: false`. */
  verification?: BundleVerification;
  /** Sees every file the bundle holds (for `portcullis inspect`). */
  onFile?: (name: string, content: Buffer) => void;
}

type JsonObject = { [key: string]: Json };

/**
 * Reads the bundle at `path` and, when `verification` is given, verifies its signature against the
 * very bytes that are then parsed (no second read). With verification every regular file counts,
 * including those the gateway ignores (as OPA: a file added to a signed bundle refuses it), except
 * hidden ones. Rejects with GatewayError (PORTCULLIS_BUNDLE_INVALID or _SIGNATURE_INVALID).
 */
export async function loadBundleVerified(path: string, options: LoadOptions = {}): Promise<Bundle> {
  const limits = options.limits ?? DEFAULT_BUNDLE_LIMITS;
  const verification = options.verification;
  const files = readBundleFiles(path, limits, verification !== undefined);
  if (options.onFile) for (const [name, content] of files) options.onFile(name, content);
  if (verification === undefined) return assemble(path, files);
  const verified = await verifyBundleFiles(path, files, verification);
  const bundle = assemble(path, files);
  bundle.signature = { verified: true, keyId: verified.keyId, scope: verified.scope };
  return bundle;
}

function readBundleFiles(path: string, limits: BundleLimits, everyFile: boolean): Map<string, Buffer> {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${path}: no such file or directory`);
  }
  return isDir ? readDirectory(path, limits, everyFile) : readTarball(path, limits, everyFile);
}

/** Reads the bundle at `path` (a directory, or a file ending in `.tar.gz`/`.tgz`). */
export function loadBundle(
  path: string,
  limits: BundleLimits = DEFAULT_BUNDLE_LIMITS,
  /** Sees every file the bundle holds (for `portcullis inspect`). */
  onFile?: (name: string, content: Buffer) => void,
): Bundle {
  const files = readBundleFiles(path, limits, false);
  if (onFile) for (const [name, content] of files) onFile(name, content);
  return assemble(path, files);
}

/** `everyFile`: also the regular files that are not bundle content (signature verification must see them). */
function readDirectory(root: string, limits: BundleLimits, everyFile: boolean): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let total = 0;
  const walk = (dir: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      throw new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${dir}: ${(e as Error).message}`);
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(dir, entry.name);
      if (entry.isSymbolicLink())
        throw new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${full}: links are not allowed in a bundle`);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith(".")) walk(full);
        continue;
      }
      const name = relative(root, full).split(sep).join("/");
      if (!entry.isFile() || !(isBundleFile(name) || (everyFile && !entry.name.startsWith(".")))) continue;
      const size = statSync(full).size;
      total += size;
      checkLimits(full, files.size + 1, size, total, limits);
      files.set(name, readFileSync(full));
    }
  };
  walk(root);
  return files;
}

function readTarball(file: string, limits: BundleLimits, everyFile: boolean): Map<string, Buffer> {
  const compressed = readFileSync(file);
  let tarball: Buffer;
  try {
    // maxOutputLength stops a gzip bomb before it is inflated in full.
    tarball = gunzipSync(compressed, { maxOutputLength: limits.maxTotalBytes + 1024 * 1024 });
  } catch (e) {
    const tooBig = (e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE";
    throw new GatewayError(
      "PORTCULLIS_BUNDLE_INVALID",
      `${file}: ${tooBig ? `unpacks to more than ${limits.maxTotalBytes} bytes` : "not a gzip file"}`,
    );
  }
  const files = new Map<string, Buffer>();
  let total = 0;
  let failure: GatewayError | undefined;
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      const fail = (message: string) => {
        failure ??= new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${file}: ${entry.path}: ${message}`);
        entry.resume();
      };
      if (failure) return entry.resume();
      if (entry.type === "Directory") return entry.resume();
      if (entry.type !== "File" && entry.type !== "OldFile")
        return fail("only regular files are allowed (no links or devices)");
      // `opa build` writes entries as "/data.json": a leading "/" or "./" is relative to the bundle root.
      const name = posix.normalize(entry.path.replace(/^(\.?\/)+/, ""));
      if (name.startsWith("/") || name === ".." || name.startsWith("../")) return fail("path escapes the bundle");
      if (
        !(isBundleFile(name) || everyFile) ||
        name.split("/").some((part) => part.startsWith(".") && part !== ".manifest" && part !== ".signatures.json")
      ) {
        return entry.resume();
      }
      total += entry.size;
      try {
        checkLimits(`${file}: ${name}`, files.size + 1, entry.size, total, limits);
      } catch (e) {
        failure ??= e as GatewayError;
        return entry.resume();
      }
      const chunks: Buffer[] = [];
      entry.on("data", (chunk: Buffer) => chunks.push(chunk));
      entry.on("end", () => files.set(name, Buffer.concat(chunks)));
    },
  });
  parser.on("warn", (_code: string, message: string) => {
    failure ??= new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${file}: ${message}`);
  });
  parser.on("error", (e: Error) => {
    failure ??= new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${file}: ${e.message}`);
  });
  parser.end(tarball);
  if (failure) throw failure;
  return files;
}

/** Whether a file (path relative to the bundle root) is part of the bundle. */
function isBundleFile(path: string): boolean {
  const name = basename(path);
  return (
    name.endsWith(".rego") ||
    isSchemaFile(path) ||
    name === "data.json" ||
    name === "data.yaml" ||
    name === "data.yml" ||
    name === ".manifest" ||
    name === ".signatures.json"
  );
}

function checkLimits(name: string, count: number, size: number, total: number, limits: BundleLimits): void {
  if (count > limits.maxFiles)
    throw new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${name}: more than ${limits.maxFiles} files`);
  if (size > limits.maxFileBytes) {
    throw new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${name}: file larger than ${limits.maxFileBytes} bytes`);
  }
  if (total > limits.maxTotalBytes) {
    throw new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${name}: bundle larger than ${limits.maxTotalBytes} bytes`);
  }
}

function assemble(source: string, files: Map<string, Buffer>): Bundle {
  const bundle: Bundle = {
    source,
    revision: "",
    signed: files.has(SIGNATURES_FILE),
    signature: { verified: false },
    roots: [""],
    metadata: {},
    modules: {},
    data: {},
  };
  const schemaFiles = new Map<string, Buffer>();
  for (const [name, content] of files) {
    // The signature is checked by loadBundleVerified; files other than bundle content were read only for it.
    if (name === SIGNATURES_FILE || !isBundleFile(name)) continue;
    const text = content.toString("utf8");
    if (name === ".manifest") {
      readManifest(bundle, name, text);
    } else if (name.endsWith(".rego")) {
      bundle.modules[name] = text;
    } else if (isSchemaFile(name)) {
      schemaFiles.set(name, content);
    } else {
      const dir = posix.dirname(name);
      mergeAt(
        bundle.data,
        dir === "." ? [] : dir.split("/"),
        parseData(`${source}: ${name}`, name, text),
        `${source}: ${name}`,
      );
    }
  }
  if (bundle.revision === "") {
    // Files read only for signature verification must not change the revision.
    bundle.revision = contentRevision(new Map([...files].filter(([name]) => isBundleFile(name))));
  }
  checkRoots(bundle);
  validateData(source, bundle.data, schemaFiles);
  if (Object.keys(bundle.modules).length === 0) {
    throw new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${source}: the bundle has no .rego files`);
  }
  return bundle;
}

function readManifest(bundle: Bundle, name: string, text: string): void {
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    throw new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${bundle.source}: ${name}: not valid JSON`);
  }
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
    throw new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${bundle.source}: ${name}: must be a JSON object`);
  }
  const { revision, roots, metadata } = manifest as { revision?: unknown; roots?: unknown; metadata?: unknown };
  checkRegoVersions(bundle.source, name, manifest as Record<string, unknown>);
  if (metadata !== undefined) {
    if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))
      throw new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${bundle.source}: ${name}: metadata must be an object`);
    bundle.metadata = metadata as { [key: string]: Json };
  }
  if (revision !== undefined) {
    if (typeof revision !== "string")
      throw new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${bundle.source}: ${name}: revision must be a string`);
    bundle.revision = revision;
  }
  if (roots !== undefined) {
    if (!Array.isArray(roots) || !roots.every((r) => typeof r === "string")) {
      throw new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${bundle.source}: ${name}: roots must be a list of strings`);
    }
    bundle.roots = roots;
  }
}

/**
 * OPA's `rego_version` (0 or 1) and `file_rego_versions` (glob -> version). The engine parses Rego v1
 * only: a bundle that declares v0 for itself or any file is refused rather than misread.
 */
function checkRegoVersions(source: string, name: string, manifest: Record<string, unknown>): void {
  const refuse = (message: string) => new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${source}: ${name}: ${message}`);
  const check = (value: unknown, where: string) => {
    if (value !== 0 && value !== 1) throw refuse(`${where} must be 0 or 1`);
    if (value === 0) throw refuse(`${where} is 0: Rego v0 is not supported, this engine reads Rego v1 only`);
  };
  if (manifest.rego_version !== undefined) check(manifest.rego_version, "rego_version");
  const perFile = manifest.file_rego_versions;
  if (perFile === undefined) return;
  if (typeof perFile !== "object" || perFile === null || Array.isArray(perFile))
    throw refuse("file_rego_versions must be an object of path globs to versions");
  for (const [glob, version] of Object.entries(perFile)) check(version, `file_rego_versions["${glob}"]`);
}

function parseData(where: string, name: string, text: string): Json {
  try {
    return (name.endsWith(".json") ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 })) as Json;
  } catch (e) {
    throw new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${where}: ${(e as Error).message.split("\n")[0]}`);
  }
}

function mergeAt(target: JsonObject, path: string[], value: Json, where: string): void {
  let node = target;
  for (const key of path) {
    const next = node[key];
    if (next === undefined) node[key] = {};
    else if (typeof next !== "object" || next === null || Array.isArray(next)) {
      throw new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${where}: conflicts with data at ${path.join(".")}`);
    }
    node = node[key] as JsonObject;
  }
  if (path.length === 0 && (typeof value !== "object" || value === null || Array.isArray(value))) {
    throw new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${where}: data at the bundle root must be an object`);
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k in node) throw new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${where}: key "${k}" is defined twice`);
      node[k] = v;
    }
  } else {
    const last = path[path.length - 1];
    if (last !== undefined) throw new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${where}: data must be an object`);
  }
}

/** A revision for a bundle without a manifest: the digest of its file names and contents. */
export function contentRevision(files: ReadonlyMap<string, Buffer>): string {
  const hash = createHash("sha256");
  for (const name of [...files.keys()].sort()) {
    hash.update(`${name}\0`);
    hash.update(files.get(name) as Buffer);
    hash.update("\0");
  }
  return `sha256:${hash.digest("hex").slice(0, 16)}`;
}

/** A root as path segments ("" is the whole tree). */
function rootSegments(root: string): string[] {
  return root === "" ? [] : root.split("/");
}

function isPrefix(prefix: string[], path: string[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}

/**
 * Enforces the manifest's roots as OPA does: roots may not overlap, every package and every data
 * path must lie under a root. A bundle that strays outside its roots could overwrite another
 * bundle's policy or data.
 */
function checkRoots(bundle: Bundle): void {
  const roots = bundle.roots.map(rootSegments);
  const shown = `[${bundle.roots.join(", ")}]`;
  const fail = (message: string) => new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${bundle.source}: ${message}`);
  for (let i = 0; i < roots.length; i++) {
    for (let j = 0; j < roots.length; j++) {
      if (i !== j && isPrefix(roots[i] as string[], roots[j] as string[])) {
        throw fail(`manifest roots ${shown}: "${bundle.roots[i]}" overlaps "${bundle.roots[j]}"`);
      }
    }
  }
  if (roots.some((r) => r.length === 0)) return;
  for (const [file, source] of Object.entries(bundle.modules)) {
    let path: string[];
    try {
      path = moduleOutline(file, source).package;
    } catch (e) {
      if (e instanceof RegoError) throw fail(`${file}: ${e.code}: ${e.message}`);
      throw e;
    }
    if (!roots.some((root) => isPrefix(root, path))) {
      throw fail(`manifest roots ${shown} do not permit "package ${path.join(".")}" in ${file}`);
    }
  }
  const walkData = (node: Json, path: string[]): void => {
    if (roots.some((root) => isPrefix(root, path))) return;
    const leadsToRoot = roots.some((root) => isPrefix(path, root));
    if (!leadsToRoot || typeof node !== "object" || node === null || Array.isArray(node)) {
      throw fail(`manifest roots ${shown} do not permit data at /${path.join("/")}`);
    }
    for (const [key, child] of Object.entries(node)) walkData(child, [...path, key]);
  };
  for (const [key, child] of Object.entries(bundle.data)) walkData(child, [key]);
}
