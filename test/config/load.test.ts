/**
 * Configuration loading: the data-driven cases in cases.yaml (defaults, path resolution,
 * environment overrides, errors naming their key path), and reading files (YAML errors, duplicate
 * keys, missing files, the shipped portcullis.yaml).
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { loadConfigFile, parseConfig } from "../../src/config/load.js";
import { GatewayError } from "../../src/errors.js";
import { tempDir } from "../http/harness.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, "../..");
const BASE_DIR = "/srv/portcullis";

interface Case {
  name: string;
  config: Record<string, unknown>;
  omit?: string[];
  env?: Record<string, string>;
  values?: Record<string, unknown>;
  errors?: string[];
  /** A known gateway bug: the case runs as a node:test todo. */
  todo?: string;
}

const file = parse(readFileSync(join(HERE, "cases.yaml"), "utf8")) as { base: Record<string, unknown>; cases: Case[] };

/** The value at a dotted key path (array indexes as numbers). */
function at(value: unknown, path: string): unknown {
  let node = value;
  for (const key of path.split(".")) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** The configuration error thrown by `action`. */
function configError(action: () => unknown): GatewayError {
  try {
    action();
  } catch (e) {
    assert.ok(e instanceof GatewayError, `expected a GatewayError, got ${String(e)}`);
    assert.equal(e.code, "PORTCULLIS_CONFIG_INVALID");
    return e;
  }
  assert.fail("expected a configuration error");
}

describe("parseConfig cases (test/config/cases.yaml)", () => {
  for (const c of file.cases) {
    it(c.name, c.todo === undefined ? {} : { todo: c.todo }, () => {
      const raw: Record<string, unknown> = { ...file.base, ...c.config };
      for (const key of c.omit ?? []) delete raw[key];
      const parse = () => parseConfig(raw, { baseDir: BASE_DIR, source: "portcullis.yaml", env: c.env ?? {} });
      if (c.errors) {
        const { message } = configError(parse);
        const lines = message.includes("\n") ? message.split("\n").slice(1) : [message];
        assert.equal(lines.length, c.errors.length, `one line per problem:\n${message}`);
        for (const expected of c.errors) {
          assert.ok(message.includes(expected), `expected "${expected}" in:\n${message}`);
        }
        assert.match(message, /^portcullis\.yaml: /);
        return;
      }
      const config = parse();
      for (const [path, expected] of Object.entries(c.values ?? {})) {
        assert.deepEqual(at(config, path), expected, path);
      }
    });
  }

  it("leaves the input object untouched", () => {
    const raw = { ...file.base, audit: { path: "rel.jsonl" } };
    const before = structuredClone(raw);
    parseConfig(raw, { baseDir: BASE_DIR, env: { PORTCULLIS_LISTEN: "127.0.0.1:1" } });
    assert.deepEqual(raw, before);
  });

  it("refuses a top level that is not a mapping", () => {
    for (const raw of [[], "listen: x", 42, null]) {
      assert.match(configError(() => parseConfig(raw, { baseDir: BASE_DIR })).message, /must be a mapping/);
    }
  });
});

describe("loadConfigFile", () => {
  const dir = tempDir("portcullis-config-");
  after(() => dir.remove());

  const write = (name: string, text: string): string => {
    const path = join(dir.path, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return path;
  };

  it("resolves relative paths against the file's own directory", () => {
    const path = write(
      "conf/portcullis.yaml",
      "policy:\n  bundle: ../bundle\nupstreams:\n  - name: a\n    command: node\naudit:\n  path: audit.jsonl\n",
    );
    const config = loadConfigFile(path, {});
    assert.equal(config.policy.bundle, join(dir.path, "bundle"));
    assert.equal(config.audit.path, join(dir.path, "conf", "audit.jsonl"));
    assert.equal(
      config.upstreams[0] && "cwd" in config.upstreams[0] ? config.upstreams[0].cwd : "",
      join(dir.path, "conf"),
    );
  });

  it("applies environment overrides", () => {
    const path = write("env.yaml", "policy: { bundle: b }\nupstreams: [{ name: a, command: node }]\n");
    assert.equal(loadConfigFile(path, { PORTCULLIS_LISTEN: "127.0.0.1:0" }).listen, "127.0.0.1:0");
  });

  it("reports invalid YAML with the file name", () => {
    const path = write("broken.yaml", "policy: { bundle: b\n");
    assert.match(configError(() => loadConfigFile(path, {})).message, /broken\.yaml: invalid YAML: /);
  });

  it("refuses duplicate keys instead of keeping the last one", () => {
    const path = write("dup.yaml", "listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\npolicy: { bundle: b }\nupstreams: []\n");
    assert.match(configError(() => loadConfigFile(path, {})).message, /dup\.yaml: invalid YAML: .*unique/i);
  });

  it("names a missing file", () => {
    const path = join(dir.path, "nope.yaml");
    assert.equal(configError(() => loadConfigFile(path, {})).message, `${path}: file not found`);
  });

  it("treats an empty file as an empty mapping and lists what is missing", () => {
    const path = write("empty.yaml", "# nothing here\n");
    const { message } = configError(() => loadConfigFile(path, {}));
    assert.match(message, /policy: /);
    assert.match(message, /upstreams: /);
  });

  it("loads the shipped portcullis.yaml", () => {
    const config = loadConfigFile(join(REPO, "portcullis.yaml"), {});
    assert.equal(config.policy.bundle, join(REPO, "policies/example"));
    assert.deepEqual(
      config.upstreams.map((u) => u.name),
      ["demo", "everything"],
    );
  });
});
