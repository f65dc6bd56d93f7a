/**
 * The policy bundle loader: directories and `.tar.gz` files (made with the `tar` package), data
 * placement, the manifest, and what it must refuse: links, paths that escape the bundle, archives
 * or files over the size limits, and malformed content.
 */
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { create as createTar } from "tar";
import { type BundleLimits, DEFAULT_BUNDLE_LIMITS, loadBundle } from "../../src/bundle/load.js";
import { GatewayError } from "../../src/errors.js";
import { tempDir } from "../http/harness.js";

const POLICY = 'package portcullis\n\ndecision := {"allow": true}\n';
const HELPER = "package portcullis.lib\n\nok := true\n";

/** The bundle error thrown by `action`. */
function bundleError(action: () => unknown): string {
  try {
    action();
  } catch (e) {
    assert.ok(e instanceof GatewayError, `expected a GatewayError, got ${String(e)}`);
    assert.equal(e.code, "PORTCULLIS_BUNDLE_INVALID");
    return e.message;
  }
  assert.fail("expected the bundle to be refused");
}

describe("loadBundle", () => {
  const tmp = tempDir("portcullis-bundle-");
  after(() => tmp.remove());
  let seq = 0;

  /** Writes `files` (path -> content) into a fresh directory and returns it. */
  function bundleDir(files: Record<string, string>): string {
    const root = join(tmp.path, `dir-${++seq}`);
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    mkdirSync(root, { recursive: true });
    return root;
  }

  /** Packs `entries` (paths relative to `root`) into a .tar.gz with the tar package. */
  function tarball(root: string, entries: string[], options: { preservePaths?: boolean } = {}): string {
    const file = join(tmp.path, `bundle-${++seq}.tar.gz`);
    createTar({ gzip: true, file, cwd: root, sync: true, portable: true, ...options }, entries);
    return file;
  }

  const SAMPLE = {
    "policy.rego": POLICY,
    "lib/helpers.rego": HELPER,
    "data.json": JSON.stringify({ servers: { demo: {} } }),
    "teams/data.yaml": "engineering:\n  - alice\n",
    "teams/oncall/data.json": JSON.stringify({ primary: "bob" }),
    ".manifest": JSON.stringify({ revision: "rev-42", roots: ["portcullis", "servers", "teams"] }),
    "README.md": "not part of the policy",
    ".git/config.rego": "package ignored",
  };

  function assertSample(bundle: ReturnType<typeof loadBundle>): void {
    assert.deepEqual(Object.keys(bundle.modules).sort(), ["lib/helpers.rego", "policy.rego"]);
    assert.equal(bundle.modules["policy.rego"], POLICY);
    assert.deepEqual(bundle.data, {
      servers: { demo: {} },
      teams: { engineering: ["alice"], oncall: { primary: "bob" } },
    });
    assert.equal(bundle.revision, "rev-42");
    assert.deepEqual(bundle.roots, ["portcullis", "servers", "teams"]);
  }

  it("reads a directory: modules by path, data placed at its directory, the manifest", () => {
    const root = bundleDir(SAMPLE);
    const bundle = loadBundle(root);
    assert.equal(bundle.source, root);
    assertSample(bundle);
  });

  it("reads the same bundle from a .tar.gz", () => {
    const root = bundleDir(SAMPLE);
    const file = tarball(root, ["."]);
    assertSample(loadBundle(file));
    // The leading ./ of entries, and a bundle packed by file names, read the same.
    assertSample(loadBundle(tarball(root, Object.keys(SAMPLE))));
  });

  it("takes a content digest as revision and the whole data tree without a manifest", () => {
    const bundle = loadBundle(bundleDir({ "p.rego": POLICY }));
    assert.match(bundle.revision, /^sha256:[0-9a-f]{16}$/);
    assert.equal(loadBundle(bundleDir({ "p.rego": POLICY })).revision, bundle.revision, "same contents, same revision");
    assert.notEqual(loadBundle(bundleDir({ "p.rego": `${POLICY}\n` })).revision, bundle.revision);
    assert.deepEqual(bundle.roots, [""]);
    assert.deepEqual(bundle.data, {});
  });

  it("loads the example policies shipped in policies/", () => {
    const bundle = loadBundle(join(dirname(dirname(import.meta.dirname)), "policies/example"));
    assert.ok(Object.keys(bundle.modules).length > 0);
    assert.equal(typeof bundle.data.groups, "object");
  });

  it("refuses symbolic links in a directory", () => {
    const root = bundleDir({ "policy.rego": POLICY });
    symlinkSync(join(root, "policy.rego"), join(root, "linked.rego"));
    assert.match(
      bundleError(() => loadBundle(root)),
      /linked\.rego: links are not allowed/,
    );
  });

  it("refuses links in an archive", () => {
    const root = bundleDir({ "policy.rego": POLICY });
    symlinkSync("policy.rego", join(root, "linked.rego"));
    const file = tarball(root, ["policy.rego", "linked.rego"]);
    assert.match(
      bundleError(() => loadBundle(file)),
      /linked\.rego: only regular files are allowed/,
    );
  });

  it("refuses archive entries that escape the bundle", () => {
    const outer = bundleDir({ "escape.rego": POLICY, "inner/policy.rego": POLICY });
    const dotdot = tarball(join(outer, "inner"), ["policy.rego", "../escape.rego"], { preservePaths: true });
    assert.match(
      bundleError(() => loadBundle(dotdot)),
      /\.\.\/escape\.rego: path escapes the bundle/,
    );
    // `opa build` writes "/policy.rego": absolute entries are read relative to the bundle root.
    const absolute = tarball(outer, [join(outer, "escape.rego")], { preservePaths: true });
    const inside = loadBundle(absolute);
    assert.deepEqual(Object.keys(inside.modules), [join(outer, "escape.rego").slice(1)]);
    const sneaky = tarball(join(outer, "inner"), ["policy.rego", "./../escape.rego"], { preservePaths: true });
    assert.match(
      bundleError(() => loadBundle(sneaky)),
      /path escapes the bundle/,
    );
  });

  it("enforces the file count and size limits, in directories and archives", () => {
    const limits: BundleLimits = { maxFiles: 2, maxFileBytes: 1000, maxTotalBytes: 1500 };
    const three = bundleDir({ "a.rego": POLICY, "b.rego": HELPER, "c.rego": HELPER });
    assert.match(
      bundleError(() => loadBundle(three, limits)),
      /more than 2 files/,
    );
    assert.match(
      bundleError(() => loadBundle(tarball(three, ["."]), limits)),
      /more than 2 files/,
    );

    const big = bundleDir({ "a.rego": `${POLICY}# ${"x".repeat(1200)}\n` });
    assert.match(
      bundleError(() => loadBundle(big, limits)),
      /a\.rego: file larger than 1000 bytes/,
    );
    assert.match(
      bundleError(() => loadBundle(tarball(big, ["."]), limits)),
      /file larger than 1000 bytes/,
    );

    const total = bundleDir({
      "a.rego": `${POLICY}# ${"x".repeat(800)}\n`,
      "b.rego": `${HELPER}# ${"y".repeat(800)}\n`,
    });
    assert.match(
      bundleError(() => loadBundle(total, limits)),
      /bundle larger than 1500 bytes/,
    );
    assert.match(
      bundleError(() => loadBundle(tarball(total, ["."]), limits)),
      /bundle larger than 1500 bytes/,
    );
  });

  it("stops a gzip bomb before inflating it in full", () => {
    const file = join(tmp.path, "bomb.tar.gz");
    // 8 MiB of zeros compresses to a few KiB; the limit is far below what it unpacks to.
    writeFileSync(file, gzipSync(Buffer.alloc(8 * 1024 * 1024)));
    const limits = { ...DEFAULT_BUNDLE_LIMITS, maxTotalBytes: 64 * 1024 };
    assert.match(
      bundleError(() => loadBundle(file, limits)),
      /unpacks to more than 65536 bytes/,
    );
  });

  it("refuses malformed bundles with the file at fault", () => {
    assert.match(
      bundleError(() => loadBundle(join(tmp.path, "absent"))),
      /absent: no such file or directory/,
    );
    const notGzip = join(tmp.path, "plain.tar.gz");
    writeFileSync(notGzip, "just text");
    assert.match(
      bundleError(() => loadBundle(notGzip)),
      /plain\.tar\.gz: not a gzip file/,
    );
    assert.match(
      bundleError(() => loadBundle(bundleDir({ "data.json": "{}" }))),
      /the bundle has no \.rego files/,
    );
    assert.match(
      bundleError(() => loadBundle(bundleDir({ "p.rego": POLICY, "x/data.json": "{not json" }))),
      /x\/data\.json: /,
    );
    assert.match(
      bundleError(() => loadBundle(bundleDir({ "p.rego": POLICY, "data.json": "[1, 2]" }))),
      /data at the bundle root must be an object/,
    );
    assert.match(
      bundleError(() =>
        loadBundle(bundleDir({ "p.rego": POLICY, "data.json": '{"a": 1}', "a/data.json": '{"b": 2}' })),
      ),
      // Whichever file is read second is at fault: the same key gets an object and a number.
      /data\.json: (conflicts with data at a|key "a" is defined twice)/,
    );
    assert.match(
      bundleError(() =>
        loadBundle(bundleDir({ "p.rego": POLICY, "a/data.json": '{"b": 1}', "a/data.yaml": "b: 2\n" })),
      ),
      /key "b" is defined twice/,
    );
    assert.match(
      bundleError(() => loadBundle(bundleDir({ "p.rego": POLICY, ".manifest": '{"revision": 7}' }))),
      /\.manifest: revision must be a string/,
    );
    assert.match(
      bundleError(() => loadBundle(bundleDir({ "p.rego": POLICY, ".manifest": "revision: x" }))),
      /\.manifest: not valid JSON/,
    );
    assert.match(
      bundleError(() => loadBundle(bundleDir({ "p.rego": POLICY, ".manifest": '{"rego_version": 0}' }))),
      /\.manifest: rego_version is 0: Rego v0 is not supported/,
    );
    assert.match(
      bundleError(() =>
        loadBundle(bundleDir({ "p.rego": POLICY, ".manifest": '{"file_rego_versions": {"legacy/*.rego": 0}}' })),
      ),
      /file_rego_versions\["legacy\/\*\.rego"\] is 0/,
    );
    assert.match(
      bundleError(() => loadBundle(bundleDir({ "p.rego": POLICY, ".manifest": '{"metadata": [1]}' }))),
      /\.manifest: metadata must be an object/,
    );
  });

  it("keeps the manifest's metadata and accepts rego_version 1", () => {
    const manifest = JSON.stringify({ revision: "r1", rego_version: 1, metadata: { team: "security", ticket: 42 } });
    const bundle = loadBundle(bundleDir({ "p.rego": POLICY, ".manifest": manifest }));
    assert.deepEqual(bundle.metadata, { team: "security", ticket: 42 });
    assert.equal(bundle.revision, "r1");
  });

  it("enforces the manifest's roots on packages and data, and refuses overlapping roots", () => {
    const manifest = (roots: string[]) => JSON.stringify({ revision: "r", roots });
    const inside = loadBundle(
      bundleDir({
        ".manifest": manifest(["portcullis", "teams/sales"]),
        "p.rego": POLICY,
        "lib/h.rego": HELPER,
        "teams/sales/data.json": '{"members": ["ann"]}',
      }),
    );
    assert.deepEqual(inside.data, { teams: { sales: { members: ["ann"] } } });
    assert.match(
      bundleError(() =>
        loadBundle(bundleDir({ ".manifest": manifest(["portcullis"]), "q.rego": "package other\n\nx := 1\n" })),
      ),
      /manifest roots \[portcullis\] do not permit "package other" in q\.rego/,
    );
    assert.match(
      bundleError(() =>
        loadBundle(
          bundleDir({
            ".manifest": manifest(["portcullis", "teams/sales"]),
            "p.rego": POLICY,
            "data.json": '{"teams": {"hr": 1}}',
          }),
        ),
      ),
      /do not permit data at \/teams\/hr/,
    );
    assert.match(
      bundleError(() =>
        loadBundle(bundleDir({ ".manifest": manifest(["portcullis", "portcullis/lib"]), "p.rego": POLICY })),
      ),
      /"portcullis" overlaps "portcullis\/lib"/,
    );
    // A root that is a prefix by characters only ("port") owns nothing under "portcullis".
    assert.match(
      bundleError(() => loadBundle(bundleDir({ ".manifest": manifest(["port"]), "p.rego": POLICY }))),
      /do not permit "package portcullis"/,
    );
  });

  it("validates data against the bundle's schemas/ and refuses data that does not match", () => {
    const groupsSchema = JSON.stringify({
      type: "object",
      additionalProperties: {
        type: "object",
        properties: { tools: { type: "array", items: { type: "string" } } },
        required: ["tools"],
      },
    });
    const good = loadBundle(
      bundleDir({
        "p.rego": POLICY,
        "data.json": '{"groups": {"eng": {"tools": ["demo/*"]}}}',
        "schemas/groups.json": groupsSchema,
      }),
    );
    assert.deepEqual(good.data, { groups: { eng: { tools: ["demo/*"] } } });
    assert.match(
      bundleError(() =>
        loadBundle(
          bundleDir({
            "p.rego": POLICY,
            "data.json": '{"groups": {"eng": {"tool": ["demo/*"]}}}',
            "schemas/groups.json": groupsSchema,
          }),
        ),
      ),
      /schemas\/groups\.json: data does not match its schema: data\.groups\.eng must have required property 'tools'/,
    );
    assert.match(
      bundleError(() => loadBundle(bundleDir({ "p.rego": POLICY, "schemas/teams.json": '{"type": "object"}' }))),
      /schemas\/teams\.json: the bundle has no data\.teams to validate/,
    );
    assert.match(
      bundleError(() =>
        loadBundle(bundleDir({ "p.rego": POLICY, "data.json": "{}", "schemas/data.json": '{"type": 12}' })),
      ),
      /schemas\/data\.json: invalid schema/,
    );
  });
});
