/**
 * Watching a bundle on disk: a `.tar.gz` replaced atomically (written beside it, renamed over it),
 * a file saved the way editors do (temp file + rename), in-place edits in a directory bundle,
 * debouncing of bursts, and siblings in the parent directory that must not trigger anything.
 */
import assert from "node:assert/strict";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { create as createTar } from "tar";
import { loadBundle } from "../../src/bundle/load.js";
import { type BundleWatch, loadBundleStable, watchBundle } from "../../src/bundle/watch.js";
import { tempDir } from "../http/harness.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function policy(revision: string): Record<string, string> {
  return {
    ".manifest": JSON.stringify({ revision }),
    "policy.rego": `package portcullis\n\ndecision := {"allow": true, "reasons": ["${revision}"]}\n`,
  };
}

function writeFiles(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

/** Counts onChange calls; `next()` resolves on the next one. */
function counter() {
  let count = 0;
  let waiters: Array<() => void> = [];
  return {
    get count() {
      return count;
    },
    onChange: () => {
      count++;
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    },
    next(timeoutMs = 5000): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no change reported within ${timeoutMs} ms`)), timeoutMs);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

describe("watchBundle", () => {
  const tmp = tempDir("portcullis-watch-");
  const watches: BundleWatch[] = [];
  after(async () => {
    await Promise.all(watches.map((w) => w.close()));
    tmp.remove();
  });

  it("sees a .tar.gz replaced atomically by rename", { timeout: 15_000 }, async () => {
    const root = join(tmp.path, "tgz");
    const src = join(root, "src");
    const file = join(root, "bundle.tar.gz");
    writeFiles(src, policy("t1"));
    createTar({ gzip: true, file, cwd: src, sync: true, portable: true }, [".manifest", "policy.rego"]);
    const changes = counter();
    const watch = watchBundle(file, { debounceMs: 20, onChange: changes.onChange });
    watches.push(watch);
    await watch.ready;

    writeFiles(src, policy("t2"));
    const staged = join(root, "bundle.tar.gz.tmp");
    createTar({ gzip: true, file: staged, cwd: src, sync: true, portable: true }, [".manifest", "policy.rego"]);
    const seen = changes.next();
    renameSync(staged, file);
    await seen;
    assert.equal(loadBundle(file).revision, "t2");
    // A sibling in the same directory is not the bundle.
    await sleep(150);
    const before = changes.count;
    writeFileSync(join(root, "unrelated.txt"), "x");
    await sleep(200);
    assert.equal(changes.count, before);
  });

  it("sees an editor's save (temp file + rename) inside a directory bundle, debounced", {
    timeout: 15_000,
  }, async () => {
    const dir = join(tmp.path, "dirbundle");
    writeFiles(dir, policy("d1"));
    const changes = counter();
    const watch = watchBundle(dir, { debounceMs: 100, onChange: changes.onChange });
    watches.push(watch);
    await watch.ready;

    const seen = changes.next();
    const swp = join(dir, ".policy.rego.swp");
    writeFileSync(swp, policy("d2")["policy.rego"] as string);
    renameSync(swp, join(dir, "policy.rego"));
    writeFileSync(join(dir, ".manifest"), JSON.stringify({ revision: "d2" }));
    await seen;
    // One burst, one callback.
    await sleep(250);
    assert.equal(changes.count, 1);
    assert.ok(watch.generation >= 2);
    const bundle = await loadBundleStable(dir);
    assert.equal(bundle.revision, "d2");
    assert.match(bundle.modules["policy.rego"] ?? "", /"d2"/);
  });

  it("sees a file in a new subdirectory of a directory bundle", { timeout: 15_000 }, async () => {
    const dir = join(tmp.path, "nested");
    writeFiles(dir, policy("n1"));
    const changes = counter();
    const watch = watchBundle(dir, { debounceMs: 20, onChange: changes.onChange });
    watches.push(watch);
    await watch.ready;
    const seen = changes.next();
    writeFiles(join(dir, "teams"), { "data.json": JSON.stringify({ a: 1 }) });
    await seen;
    assert.deepEqual(loadBundle(dir).data, { teams: { a: 1 } });
  });
});
