/**
 * Watching a bundle on disk: a directory recursively, or a `.tar.gz` file. chokidar watches the
 * bundle itself; a plain `fs.watch` on the parent directory, filtered by name, sees the bundle path
 * replaced by rename (editors that save via a temp file, `mv new.tar.gz bundle.tar.gz`, a directory
 * swapped in), after which chokidar is pointed at the new file or directory. The parent directory
 * is not watched with chokidar: it may hold busy files (an audit log beside the bundle), and
 * chokidar rescans a directory on every event in it.
 * Changes are debounced: the callback runs once the path has been quiet for `debounceMs`.
 */
import { type FSWatcher as NodeWatcher, statSync, watch as watchDirectory } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { type FSWatcher, watch } from "chokidar";
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
  const name = basename(target);
  let timer: NodeJS.Timeout | undefined;
  let generation = 0;
  let closed = false;
  const reportError = (e: unknown) => options.onError?.(e instanceof Error ? e : new Error(String(e)));
  const fire = () => {
    timer = undefined;
    options.onChange();
  };
  const changed = () => {
    generation++;
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, options.debounceMs);
  };

  let inner: FSWatcher | undefined;
  // Ready once a watcher of the bundle path has finished its first scan: one replaced before its
  // scan ends (the path renamed over at once) never gets there, its successor does.
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolveReady) => {
    markReady = resolveReady;
  });
  /** (Re)starts chokidar on the bundle path. */
  const watchTarget = (): void => {
    const previous = inner;
    inner = watch(target, {
      ignoreInitial: true,
      // Editors that write via a temp file and rename produce unlink+add; chokidar folds them into change.
      atomic: true,
      followSymlinks: false,
    });
    inner.on("all", changed);
    inner.on("error", reportError);
    inner.once("ready", markReady);
    void previous?.close().catch(reportError);
  };

  let outer: NodeWatcher | undefined;
  try {
    outer = watchDirectory(dirname(target), { persistent: true }, (_event, filename) => {
      if (closed || filename !== name) return;
      changed();
      // The path may now be another file or directory (renamed over it): watch that one.
      watchTarget();
    });
    outer.on("error", reportError);
  } catch (e) {
    // No parent directory to watch (it does not exist yet): the bundle itself is still watched.
    reportError(e);
  }
  watchTarget();
  return {
    ready,
    get generation() {
      return generation;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      outer?.close();
      await inner?.close();
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
