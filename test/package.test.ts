import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";

const root = new URL("..", import.meta.url);

describe("the built package", () => {
  it("exports the engine as portcullis/rego, with types", {
    skip: !existsSync(new URL("dist/rego/index.js", root)),
  }, () => {
    assert.ok(existsSync(new URL("dist/rego/index.d.ts", root)));
    // A package may import itself by name through its "exports" map: this is what users get.
    const script = `import("portcullis/rego").then(({ compile }) => {
      const p = compile({ modules: { "a.rego": "package a\\nallow if input.ok" } });
      console.log(JSON.stringify(p.query("data.a.allow = x", { input: { ok: true } })));
    })`;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
    assert.equal(out.trim(), '[{"x":true}]');
  });
});
