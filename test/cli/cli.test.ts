import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const FIXTURES = "test/cli/fixtures";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function portcullis(...args: string[]): Run {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, PORTCULLIS_DEBUG: "" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertNoStack(run: Run): void {
  assert.doesNotMatch(run.stderr, /\n\s+at .+:\d+:\d+\)?\n/, "stderr must not hold a stack trace");
}

describe("portcullis eval", () => {
  it("prints opa eval's JSON for a document, without bindings", () => {
    const run = portcullis(
      "eval",
      "-d",
      `${FIXTURES}/policy`,
      "-i",
      `${FIXTURES}/input-bob.json`,
      "data.fixtures.authz",
    );
    assert.equal(run.stderr, "");
    assert.equal(run.code, 0);
    assert.deepEqual(JSON.parse(run.stdout), {
      result: [
        {
          expressions: [
            {
              value: { allow: true, tools: ["deploy", "search"] },
              text: "data.fixtures.authz",
              location: { row: 1, col: 1 },
            },
          ],
        },
      ],
    });
    // OPA indents its JSON output by two spaces.
    assert.match(run.stdout, /^\{\n {2}"result": \[/);
  });

  it("places data from nested directories under their path", () => {
    const run = portcullis("eval", "-d", `${FIXTURES}/policy`, "data.nested.deeper.grants[0].user");
    assert.equal(run.code, 0);
    const out = JSON.parse(run.stdout);
    assert.equal(out.result[0].expressions[0].value, "bob");
    assert.equal(portcullis("eval", "-d", `${FIXTURES}/policy`, "data.admins").stdout.includes('"alice"'), true);
  });

  it("reports bindings, one result per solution", () => {
    const run = portcullis("eval", "-d", `${FIXTURES}/policy`, "x := data.fixtures.authz.tools[_]");
    assert.equal(run.code, 0);
    const out = JSON.parse(run.stdout) as { result: { bindings: { x: string }; expressions: unknown[] }[] };
    assert.deepEqual(out.result.map((r) => r.bindings.x).sort(), ["deploy", "search"]);
    for (const r of out.result) {
      assert.deepEqual(r.expressions, [
        { value: true, text: "x := data.fixtures.authz.tools[_]", location: { row: 1, col: 1 } },
      ]);
    }
  });

  it("prints {} when the query is undefined", () => {
    const run = portcullis("eval", "-d", `${FIXTURES}/policy`, "data.fixtures.authz.nothing_here");
    assert.equal(run.code, 0);
    assert.deepEqual(JSON.parse(run.stdout), {});
  });

  it("evaluates with the default when input does not match", () => {
    const run = portcullis("eval", "-d", `${FIXTURES}/policy`, "data.fixtures.authz.allow");
    assert.equal(JSON.parse(run.stdout).result[0].expressions[0].value, false);
  });

  it("prints pretty output", () => {
    const value = portcullis("eval", "--format", "pretty", "-d", `${FIXTURES}/policy`, "data.admins");
    assert.equal(value.code, 0);
    assert.deepEqual(JSON.parse(value.stdout), ["alice"]);
    const undef = portcullis("eval", "--format", "pretty", "-d", `${FIXTURES}/policy`, "data.nope");
    assert.equal(undef.stdout, "undefined\n");
  });

  it("prints compile errors as file:row:col lines and exits 1", () => {
    const run = portcullis("eval", "-d", `${FIXTURES}/broken/unsafe.rego`, "data");
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /^test\/cli\/fixtures\/broken\/unsafe\.rego:4:\d+: rego_unsafe_var_error: .*x/m);
    assertNoStack(run);
  });

  it("reports a missing file cleanly", () => {
    const run = portcullis("eval", "-d", `${FIXTURES}/missing.rego`, "data");
    assert.equal(run.code, 1);
    assert.equal(run.stderr, `${FIXTURES}/missing.rego: no such file or directory\n`);
  });

  it("rejects a bad command line with usage and exit 2", () => {
    const noQuery = portcullis("eval", "-d", `${FIXTURES}/policy`);
    assert.equal(noQuery.code, 2);
    assert.match(noQuery.stderr, /usage: portcullis eval/);
    const badFormat = portcullis("eval", "--format", "xml", "data");
    assert.equal(badFormat.code, 2);
    assert.match(badFormat.stderr, /unknown format "xml"/);
  });
});

describe("portcullis check", () => {
  it("is silent and exits 0 for valid policies", () => {
    const run = portcullis("check", `${FIXTURES}/ok.rego`, `${FIXTURES}/policy`);
    assert.equal(run.stdout, "");
    assert.equal(run.stderr, "");
    assert.equal(run.code, 0);
  });

  it("prints each error as file:row:col: code: message and exits 1", () => {
    const run = portcullis("check", `${FIXTURES}/broken/syntax.rego`);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    const lines = run.stderr.trimEnd().split("\n");
    assert.ok(lines.length >= 1);
    for (const line of lines) {
      assert.match(line, /^test\/cli\/fixtures\/broken\/syntax\.rego:\d+:\d+: rego_parse_error: .+/);
    }
    assertNoStack(run);
  });

  it("reports unsafe variables", () => {
    const run = portcullis("check", `${FIXTURES}/broken/unsafe.rego`);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^test\/cli\/fixtures\/broken\/unsafe\.rego:4:\d+: rego_unsafe_var_error: var x is unsafe$/m,
    );
  });
});

describe("portcullis", () => {
  it("prints help and the version", () => {
    const help = portcullis("--help");
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: portcullis <command>/);
    const version = portcullis("--version");
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^portcullis \d+\.\d+\.\d+/);
  });

  it("rejects an unknown command with usage on stderr and exit 2", () => {
    const run = portcullis("frobnicate");
    assert.equal(run.code, 2);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /unknown command "frobnicate"/);
    assert.match(run.stderr, /usage: portcullis <command>/);
  });
});

describe("portcullis inspect", () => {
  it("shows a bundle's revision, packages with their rules, data and files, as text and as JSON", () => {
    const text = portcullis("inspect", "policies/allow-all");
    assert.equal(text.stderr, "");
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^bundle: {5}policies\/allow-all\nrevision: {3}sha256:[0-9a-f]{16}\n/);
    assert.match(text.stdout, /\n {2}data\.portcullis {2}\(policy\.rego\)\n {4}decision\n/);
    assert.match(text.stdout, /\nsignatures: none\n/);

    const json = portcullis("inspect", "--format", "json", "policies/example");
    assert.equal(json.code, 0);
    const inspection = JSON.parse(json.stdout) as {
      roots: string[];
      files: Array<{ name: string; bytes: number; sha256: string }>;
      packages: Array<{ package: string; rules: string[] }>;
      data_keys: string[];
    };
    assert.deepEqual(inspection.roots, [""]);
    assert.deepEqual(
      inspection.files.map((f) => f.name),
      ["data.json", "policy.rego", "schemas/groups.json", "schemas/sso_groups.json"],
    );
    assert.equal(inspection.packages[0]?.package, "data.portcullis");
    assert.ok(inspection.packages[0]?.rules.includes("decision"));
    assert.ok(inspection.data_keys.includes("groups"));
  });

  it("refuses what the gateway refuses, with the code and no stack trace", () => {
    const run = portcullis("inspect", "no/such/bundle");
    assert.equal(run.code, 1);
    assert.equal(run.stderr, "PORTCULLIS_BUNDLE_INVALID: no/such/bundle: no such file or directory\n");
    assertNoStack(run);
  });
});
