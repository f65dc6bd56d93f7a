/**
 * Loading policy and data files for the CLI, as `opa eval -d` / `opa check` load them: `.rego` files
 * become modules named by their path; `.json`/`.yaml`/`.yml` files are data, at the data root when
 * given directly, or under their directory's path (relative to the directory given) when found by
 * walking a directory.
 */
import { type Dirent, readdirSync, readFileSync, type Stats, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { parse as parseYaml } from "yaml";
import { loadBundle } from "../bundle/load.js";
import type { Json } from "../rego/index.js";

/** A problem with a file on disk (missing, unreadable, not valid JSON/YAML, conflicting data). */
export class LoadError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = "LoadError";
  }

  /** `file: message`, as the CLI prints it. */
  override toString(): string {
    return `${this.file}: ${this.message}`;
  }
}

/** Modules by file name and the merged data document. */
export interface Loaded {
  modules: Record<string, string>;
  data: { [key: string]: Json };
}

type JsonObject = { [key: string]: Json };

const DATA_EXTENSIONS = new Set([".json", ".yaml", ".yml"]);

/** Loads every path (file or directory); `dataFiles: false` skips data files (for `check`). */
export function loadPaths(paths: string[], options: { dataFiles?: boolean } = {}): Loaded {
  const withData = options.dataFiles ?? true;
  const loaded: Loaded = { modules: {}, data: {} };
  for (const path of paths) {
    const stat = statOrThrow(path);
    if (stat.isDirectory()) {
      for (const file of walk(path)) {
        const ext = extname(file).toLowerCase();
        if (ext === ".rego") loaded.modules[file] = readText(file);
        else if (withData && DATA_EXTENSIONS.has(ext)) {
          const dir = relative(path, join(file, ".."));
          const prefix = dir === "" ? [] : dir.split(sep);
          mergeAt(loaded.data, prefix, readDataFile(file), file);
        }
      }
    } else {
      const ext = extname(path).toLowerCase();
      if (ext === ".rego") loaded.modules[path] = readText(path);
      else if (DATA_EXTENSIONS.has(ext)) {
        if (withData) mergeAt(loaded.data, [], readDataFile(path), path);
      } else throw new LoadError(path, "unsupported file type (want .rego, .json, .yaml or .yml)");
    }
  }
  return loaded;
}

/**
 * Loads every path as an OPA bundle (`opa test -b`): only data.json/data.yaml are data, schemas
 * under schemas/ validate it and the manifest's roots apply, exactly as when the gateway serves it.
 * Module names keep the path given, so two bundles' files never collide.
 */
export function loadBundlePaths(paths: string[]): Loaded {
  const loaded: Loaded = { modules: {}, data: {} };
  for (const path of paths) {
    const bundle = loadBundle(path);
    for (const [name, source] of Object.entries(bundle.modules)) loaded.modules[join(path, name)] = source;
    mergeAt(loaded.data, [], bundle.data, path);
  }
  return loaded;
}

/** Reads a JSON or YAML document (e.g. an input file), validated as JSON. */
export function readDataFile(file: string): Json {
  const text = readText(file);
  let doc: unknown;
  try {
    doc = extname(file).toLowerCase() === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new LoadError(file, `invalid ${extname(file).slice(1).toUpperCase()}: ${(e as Error).message}`);
  }
  return toJson(doc, file);
}

function toJson(v: unknown, file: string): Json {
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new LoadError(file, `number out of range: ${v}`);
    return v;
  }
  if (Array.isArray(v)) return v.map((x) => toJson(x, file));
  if (typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = toJson(x, file);
    return out;
  }
  // YAML can produce values JSON has no form for (dates, maps with non-string keys, ...).
  throw new LoadError(file, `value is not representable as JSON: ${String(v)}`);
}

function mergeAt(root: JsonObject, prefix: string[], value: Json, file: string): void {
  let target = root;
  for (const segment of prefix) {
    const next = target[segment];
    if (next === undefined) {
      const created: JsonObject = {};
      target[segment] = created;
      target = created;
    } else if (isObject(next)) target = next;
    else throw new LoadError(file, `data conflict at data.${prefix.join(".")}`);
  }
  if (!isObject(value)) {
    if (prefix.length === 0) throw new LoadError(file, "data file at the data root must hold an object");
    throw new LoadError(file, `data files must hold objects (found at data.${prefix.join(".")})`);
  }
  mergeObjects(target, value, prefix, file);
}

function mergeObjects(into: JsonObject, from: JsonObject, path: string[], file: string): void {
  for (const [k, v] of Object.entries(from)) {
    const existing = into[k];
    if (existing === undefined) into[k] = v;
    else if (isObject(existing) && isObject(v)) mergeObjects(existing, v, [...path, k], file);
    else throw new LoadError(file, `data conflict at data.${[...path, k].join(".")}`);
  }
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function walk(dir: string): string[] {
  const out: string[] = [];
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new LoadError(dir, `cannot read directory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

function statOrThrow(path: string): Stats {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LoadError(path, code === "ENOENT" ? "no such file or directory" : `cannot access: ${code ?? e}`);
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new LoadError(file, `cannot read file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
