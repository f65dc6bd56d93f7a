/**
 * Watching a bundle on disk (chokidar): a directory recursively, or a `.tar.gz` file. The parent
 * directory is watched rather than the path itself, so a bundle replaced by rename (editors that
 * save via a temp file, `mv new.tar.gz bundle.tar.gz`, a directory swapped in) is still seen.
 * Changes are debounced: the callback runs once the path has been quiet for `debounceMs`.
 */
import { statSync } from "node:fs";
import { basename, dirname, resolve, sep } from "node:path";
import { watch } from "chokidar";
import { GatewayError } from "../errors.js";
import { type Bundle, loadBundle } from "./load.js";

/** Reads the bundle at a path (a directory or a .tar.gz). */
export type BundleReader = (path: string) => Promise<Bundle>;

/** A running watch. */
export interface BundleWatch {
  /** Resolves once the initial scan is done (changes from then on are reported). */
  ready: Promise<void>;
  /** How many change events have been seen (for detecting a bundle that changed while being read). */
  readonly generation: number;
  close(): Promise<void>;
}

/** Watches `path` and calls `onChange` after each burst of changes. */
export function watchBundle(
  path: string,
  options: { debounceMs: number; onChange: () => void; onError?: (e: Error) => void },
): BundleWatch {
  const target = resolve(path);
  const parent = dirname(target);
  const inside = `${target}${sep}`;
  let timer: NodeJS.Timeout | undefined;
  let generation = 0;
  const watcher = watch(parent, {
    ignoreInitial: true,
    // Editors that write via a temp file and rename produce unlink+add; chokidar folds them into change.
    atomic: true,
    followSymlinks: false,
    // Only the bundle itself: the parent directory may hold anything (e.g. the system temp dir).
    ignored: (p: string) => {
      const full = resolve(p);
      return full !== parent && full !== target && !full.startsWith(inside);
    },
  });
  const fire = () => {
    timer = undefined;
    options.onChange();
  };
  watcher.on("all", (_event: string, p: string) => {
    const full = resolve(p);
    if (full !== target && !full.startsWith(inside)) return;
    generation++;
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, options.debounceMs);
  });
  watcher.on("error", (e: unknown) => options.onError?.(e instanceof Error ? e : new Error(String(e))));
  const ready = new Promise<void>((resolveReady) => watcher.once("ready", () => resolveReady()));
  return {
    ready,
    get generation() {
      return generation;
    },
    async close() {
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}

/**
 * Reads a bundle from disk, retrying when the bundle path was swapped while it was read (the
 * directory's identity or mtime changed), so that a reload never mixes files of two versions.
 */
export async function loadBundleStable(
  path: string,
  /** Reads one bundle (e.g. with signature verification); defaults to `loadBundle`. */
  read: BundleReader = async (p) => loadBundle(p),
  attempts = 3,
): Promise<Bundle> {
  for (let i = 1; ; i++) {
    const before = identity(path);
    const bundle = await read(path);
    if (identity(path) === before) return bundle;
    if (i >= attempts) throw new GatewayError("PORTCULLIS_BUNDLE_INVALID", `${path}: kept changing while being read`);
    await new Promise((r) => setTimeout(r, 20 * i));
  }
}

function identity(path: string): string {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}:${s.mtimeMs}:${s.size}`;
  } catch {
    return `missing:${basename(path)}`;
  }
}
