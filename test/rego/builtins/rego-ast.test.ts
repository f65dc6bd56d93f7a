import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { moduleJson } from "../../../src/rego/builtins/rego-ast.js";
import { compile } from "../../../src/rego/index.js";
import { parseModule } from "../../../src/rego/parser.js";

describe("rego.parse_module", () => {
  it("gives OPA's JSON shape for packages, imports and rules", () => {
    const m = moduleJson(
      parseModule("x.rego", "package a.b\n\nimport data.c as d\n\np := count(input.xs) if not input.off\n"),
    );
    assert.deepEqual(m.package, {
      path: [
        { type: "var", value: "data" },
        { type: "string", value: "a" },
        { type: "string", value: "b" },
      ],
    });
    assert.deepEqual(m.imports, [
      {
        path: {
          type: "ref",
          value: [
            { type: "var", value: "data" },
            { type: "string", value: "c" },
          ],
        },
        alias: "d",
      },
    ]);
    const [rule] = m.rules as { head: { name: string; assign: boolean }; body: { negated?: boolean }[] }[];
    assert.equal(rule?.head.name, "p");
    assert.equal(rule?.head.assign, true);
    assert.equal(rule?.body[0]?.negated, true);
  });

  it("is callable from policy, and parse errors are builtin errors", () => {
    const p = compile({
      modules: { "a.rego": 'package t\n\nname := rego.parse_module("m.rego", input).rules[0].head.name\n' },
    });
    assert.deepEqual(p.query("data.t.name = n", { input: "package m\n\nallow := true\n" }), [{ n: "allow" }]);
    assert.throws(
      () => p.query("data.t.name = n", { input: "package m.", strictBuiltinErrors: true }),
      /rego_parse_error/,
    );
  });
});
