import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jsonSchemaBuiltins } from "../../../src/rego/builtins/json-schema.js";
import type { BuiltinContext } from "../../../src/rego/builtins/types.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinError } from "../../../src/rego/errors.js";
import { fromJson, toJson, type Value } from "../../../src/rego/value.js";

const ctx: BuiltinContext = { nowNs: 0, cache: new Map(), compiled: new BoundedCache(64), print() {} };

function call(name: string, ...args: Value[]): unknown {
  const decl = jsonSchemaBuiltins.find((d) => d.name === name);
  assert.ok(decl, `missing builtin ${name}`);
  return toJson(decl.impl(args, ctx) as Value);
}

const BAD_TYPE = (t: string): string =>
  `has a primitive type that is NOT VALID -- given: /${t}/ Expected valid values are:[array boolean integer number null object string]`;

describe("json.verify_schema (conformance)", () => {
  it("accepts valid schemas as text or object", () => {
    assert.deepEqual(call("json.verify_schema", '{"type": "boolean"}'), [true, null]);
    assert.deepEqual(call("json.verify_schema", fromJson({ type: "boolean" })), [true, null]);
  });
  it("reports invalid schemas", () => {
    assert.deepEqual(call("json.verify_schema", '{"type": "unknown_type"}'), [
      false,
      `jsonschema: ${BAD_TYPE("unknown_type")}`,
    ]);
    assert.deepEqual(call("json.verify_schema", fromJson({ type: "unknown_type" })), [
      false,
      `jsonschema: ${BAD_TYPE("unknown_type")}`,
    ]);
    assert.deepEqual(call("json.verify_schema", "{bad"), [false, "jsonschema: invalid JSON string"]);
    assert.deepEqual(call("json.verify_schema", 1), [false, "jsonschema: wrong type, expected string or object"]);
  });
});

describe("json.match_schema (conformance)", () => {
  const schema = fromJson({ properties: { id: { type: "integer" } }, required: ["id"] });
  it("matches documents and schemas given as text or objects", () => {
    assert.deepEqual(call("json.match_schema", fromJson({ id: 5 }), schema), [true, []]);
    assert.deepEqual(call("json.match_schema", '{"id": 5}', schema), [true, []]);
    const text = '{"properties": {"id": {"type": "integer"}}, "required": ["id"]}';
    assert.deepEqual(call("json.match_schema", fromJson({ id: 5 }), text), [true, []]);
  });
  it("describes failures in gojsonschema's shape", () => {
    assert.deepEqual(call("json.match_schema", fromJson({ id: "foo" }), schema), [
      false,
      [
        {
          desc: "Invalid type. Expected: integer, given: string",
          error: "id: Invalid type. Expected: integer, given: string",
          field: "id",
          type: "invalid_type",
        },
      ],
    ]);
    assert.deepEqual(call("json.match_schema", fromJson({}), schema), [
      false,
      [{ desc: "id is required", error: "(root): id is required", field: "(root)", type: "required" }],
    ]);
  });
  it("raises schema errors as builtin errors", () => {
    const bad = fromJson({ properties: { id: { type: "unknown" } }, required: ["id"] });
    assert.throws(() => call("json.match_schema", fromJson({ id: "foo" }), bad), new BuiltinError(BAD_TYPE("unknown")));
    assert.throws(() => call("json.match_schema", "{", schema), new BuiltinError("invalid JSON string"));
  });
  it("supports draft 2020-12 and formats", () => {
    const s2020 = fromJson({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      prefixItems: [{ type: "string" }],
      items: false,
    });
    assert.deepEqual(call("json.match_schema", fromJson(["a"]), s2020), [true, []]);
    assert.equal((call("json.match_schema", fromJson(["a", 1]), s2020) as unknown[])[0], false);
    const email = fromJson({ properties: { d: { format: "email" } } });
    assert.deepEqual(call("json.match_schema", fromJson({ d: "x" }), email), [
      false,
      [
        {
          desc: "Does not match format 'email'",
          error: "d: Does not match format 'email'",
          field: "d",
          type: "format",
        },
      ],
    ]);
  });
});
