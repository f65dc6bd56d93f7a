/**
 * Building a policy bundle (`portcullis build`): the source is read and checked as the gateway
 * would (limits, manifest, roots, data schemas) and its Rego compiled, so a broken policy is never
 * shipped; then an OPA-compatible `.tar.gz` is written with the manifest (revision overridden on
 * request), the modules, data and schema files as they are, and `.signatures.json` when a key is
 * given. The archive is deterministic: sorted entries, fixed mtime and mode, no owner names, so the
 * same input gives the same bytes.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Header, Pax } from "tar";
import { GatewayError } from "../errors.js";
import { compile } from "../rego/index.js";
import { type Bundle, type BundleLimits, contentRevision, DEFAULT_BUNDLE_LIMITS, loadBundle } from "./load.js";
import { SIGNATURES_FILE, type SigningOptions, signBundleFiles } from "./signing.js";

/** What to build: an optional revision override and signing key. */
export interface BuildOptions {
  /** Sets (or replaces) the manifest's revision. */
  revision?: string;
  signing?: SigningOptions;
  limits?: BundleLimits;
}

/** The archive and what went into it. */
export interface BuiltBundle {
  /** The `.tar.gz` bytes. */
  archive: Buffer;
  /** The bundle as the gateway reads it (from the source). */
  bundle: Bundle;
  /** The manifest revision written, or the content revision when there is no manifest. */
  revision: string;
  /** Names of the files in the archive, sorted. */
  files: string[];
}

/** A fixed timestamp for every entry (2000-01-01T00:00:00Z), so builds are reproducible. */
const FIXED_MTIME = new Date(Date.UTC(2000, 0, 1));

/**
 * Builds the bundle in `source` (a directory or a `.tar.gz`); throws GatewayError for a bad
 * bundle and RegoError (with file:row:col) for Rego that does not compile.
 */
export async function buildBundle(source: string, options: BuildOptions = {}): Promise<BuiltBundle> {
  const files = new Map<string, Buffer>();
  const bundle = loadBundle(source, options.limits ?? DEFAULT_BUNDLE_LIMITS, (name, content) =>
    files.set(name, content),
  );
  let isDir = false;
  try {
    isDir = statSync(source).isDirectory();
  } catch {
    // loadBundle already read it; a race here only changes how errors name files.
  }
  // Compile with the engine that will run it, naming modules by their source path for file:row:col errors.
  compile({
    modules: Object.fromEntries(
      Object.entries(bundle.modules).map(([name, text]) => [isDir ? join(source, name) : name, text]),
    ),
    data: bundle.data,
  });
  // A signature in the source describes the source, not this archive: it is replaced or dropped.
  files.delete(SIGNATURES_FILE);
  if (options.revision !== undefined) {
    const current = files.get(".manifest");
    const manifest = current ? (JSON.parse(current.toString("utf8")) as Record<string, unknown>) : {};
    manifest.revision = options.revision;
    files.set(".manifest", Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
  }
  if (options.signing) files.set(SIGNATURES_FILE, await signBundleFiles(files, options.signing));
  // What the gateway will report: the manifest's revision, else the digest of the archive's files.
  const manifest = files.get(".manifest");
  const declared = manifest ? (JSON.parse(manifest.toString("utf8")) as { revision?: unknown }).revision : undefined;
  const revision = typeof declared === "string" && declared !== "" ? declared : contentRevision(files);
  const names = [...files.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return {
    archive: gzipSync(tarArchive(names.map((name) => [name, files.get(name) as Buffer])), { level: 9 }),
    bundle,
    revision,
    files: names,
  };
}

/** A ustar archive of regular files (pax headers for long names), built with the tar package's encoders. */
function tarArchive(entries: Array<[string, Buffer]>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of entries) {
    const fields = {
      path: name,
      mode: 0o644,
      uid: 0,
      gid: 0,
      uname: "",
      gname: "",
      size: content.length,
      mtime: FIXED_MTIME,
    };
    const header = new Header({ ...fields, type: "File" });
    if (header.encode()) blocks.push(new Pax(fields).encode());
    if (!header.block)
      throw new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${name}: cannot be written to a tar archive`);
    blocks.push(header.block, content);
    const padding = (512 - (content.length % 512)) % 512;
    if (padding > 0) blocks.push(Buffer.alloc(padding));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
