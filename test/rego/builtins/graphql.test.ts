import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { graphqlBuiltins } from "../../../src/rego/builtins/graphql.js";
import type { BuiltinContext } from "../../../src/rego/builtins/types.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinError, BuiltinTypeError } from "../../../src/rego/errors.js";
import { formatValue } from "../../../src/rego/format.js";
import { equals, fromJson, objectFrom, RegoObject, type Value } from "../../../src/rego/value.js";

const ctx = (): BuiltinContext => ({ nowNs: 0, cache: new Map(), compiled: new BoundedCache(64), print() {} });

function call(name: string, ...args: Value[]): Value | undefined {
  const decl = graphqlBuiltins.find((b) => b.name === name);
  assert.ok(decl, `missing builtin ${name}`);
  return decl.impl(args, ctx());
}

function callError(name: string, ...args: Value[]): Error {
  try {
    call(name, ...args);
  } catch (e) {
    assert.ok(e instanceof Error);
    return e;
  }
  assert.fail(`${name} did not fail`);
}

const field = (name: string, extra: Record<string, Value> = {}): RegoObject =>
  objectFrom({ Alias: name, Name: name, ...extra });

describe("graphql.parse_query", () => {
  it("returns gqlparser's AST layout without positions or empty members", () => {
    const got = call("graphql.parse_query", "{hero {name}}");
    const want = objectFrom({
      Operations: [
        objectFrom({ Name: "", Operation: "query", SelectionSet: [field("hero", { SelectionSet: [field("name")] })] }),
      ],
    });
    assert.ok(got !== undefined && equals(got, want), formatValue(got ?? null));
  });

  it("encodes values with gqlparser's numeric kinds", () => {
    const got = call(
      "graphql.parse_query",
      `{ f(a: $v, b: 1, c: 1.5, d: "s", e: true, g: null, h: E, i: [1], j: {k: 2}) }`,
    );
    const op = ((got as RegoObject).get("Operations") as Value[])[0] as RegoObject;
    const args = ((op.get("SelectionSet") as Value[])[0] as RegoObject).get("Arguments") as RegoObject[];
    const kinds = args.map((a) => (a.get("Value") as RegoObject).get("Kind"));
    assert.deepEqual(kinds, [0, 1, 2, 3, 5, 6, 7, 8, 9]);
    const list = args[7]?.get("Value") as RegoObject;
    assert.ok(equals(list, fromJson({ Children: [{ Name: "", Value: { Kind: 1, Raw: "1" } }], Kind: 8, Raw: "" })));
  });

  it("keeps Used: false and the variable's type", () => {
    const got = call("graphql.parse_query", "query Q($x: [Int!]!) { f }") as RegoObject;
    const op = (got.get("Operations") as Value[])[0] as RegoObject;
    const want = fromJson([
      { Type: { Elem: { NamedType: "Int", NonNull: true }, NamedType: "", NonNull: true }, Used: false, Variable: "x" },
    ]);
    assert.ok(equals(op.get("VariableDefinitions") as Value, want));
  });

  it("accepts an empty document", () => {
    assert.ok(equals(call("graphql.parse_query", "  # only a comment\n") as Value, new RegoObject()));
  });

  it("words syntax errors like gqlparser", () => {
    const cases: [string, string][] = [
      ["{", "Expected Name, found <EOF> in GraphQL string at location 1:2"],
      ["{ field: {} }", "Expected Name, found { in GraphQL string at location 1:10"],
      ["...", "Unexpected ... in GraphQL string at location 1:1"],
      ["{...{__typename{...{}}}}", "expected at least one definition, found } in GraphQL string at location 1:21"],
      ["query Foo($x: C = { a: [ $var ] }) { f }", "Unexpected $ in GraphQL string at location 1:26"],
      ["type Foo { a: Int }", 'Unexpected Name "type" in GraphQL string at location 1:1'],
    ];
    for (const [src, msg] of cases) {
      const e = callError("graphql.parse_query", src);
      assert.ok(e instanceof BuiltinError);
      assert.equal(e.message, msg);
    }
  });

  it("rejects non-string operands", () => {
    const e = callError("graphql.parse_query", 1);
    assert.ok(e instanceof BuiltinTypeError);
    assert.equal(e.message, "operand 1 must be string but got number");
  });
});

describe("graphql.parse_schema", () => {
  it("returns definitions, extensions and directives", () => {
    const got = call(
      "graphql.parse_schema",
      'extend type A implements B\ndirective @d(x: Int = 1) repeatable on FIELD\n"doc" enum E { X }',
    );
    const want = fromJson({
      Extensions: [{ BuiltIn: false, Description: "", Interfaces: ["B"], Kind: "OBJECT", Name: "A" }],
      Directives: [
        {
          Arguments: [
            {
              DefaultValue: { Kind: 1, Raw: "1" },
              Description: "",
              Name: "x",
              Type: { NamedType: "Int", NonNull: false },
            },
          ],
          Description: "",
          IsRepeatable: true,
          Locations: ["FIELD"],
          Name: "d",
        },
      ],
      Definitions: [
        { BuiltIn: false, Description: "doc", EnumValues: [{ Description: "", Name: "X" }], Kind: "ENUM", Name: "E" },
      ],
    });
    assert.ok(got !== undefined && equals(got, want), formatValue(got ?? null));
  });

  it("words syntax errors like gqlparser", () => {
    const cases: [string, string][] = [
      ["type Hello {}", "expected at least one definition, found } in GraphQL string at location 1:13"],
      ['\n"D"\nextend type Hello { a: Int }', 'Unexpected String "D" in GraphQL string at location 2:2'],
      ['"""\r', "Unexpected <Invalid> in GraphQL string at location 2:1"],
      ["{ f }", "Unexpected { in GraphQL string at location 1:1"],
    ];
    for (const [src, msg] of cases) assert.equal(callError("graphql.parse_schema", src).message, msg);
  });
});

describe("graphql validation", () => {
  const schema = "extend type Query { act(e: Locale!): R! }\ntype R { id: String }\nenum Locale { EN DE }";

  it("reports gqlparser's validation message and position", () => {
    const e = callError("graphql.parse", "query Q {\n  act { id }\n}", schema);
    assert.ok(e instanceof BuiltinError);
    const want = 'Field "act" argument "e" of type "Locale!" is required, but it was not provided';
    assert.equal(e.message, `${want} in GraphQL string at location 2:3`);
  });

  it("is_valid / parse_and_verify never fail", () => {
    assert.equal(call("graphql.is_valid", "{ act(e: EN) { id } }", schema), true);
    assert.equal(call("graphql.is_valid", "{ act { id } }", schema), false);
    assert.equal(call("graphql.is_valid", "{", schema), false);
    assert.equal(call("graphql.is_valid", 7, schema), false);
    assert.equal(call("graphql.is_valid", "mutation { x }", schema), false);
    const failed = call("graphql.parse_and_verify", "{ nope }", schema);
    assert.ok(failed !== undefined && equals(failed, [false, new RegoObject(), new RegoObject()]));
  });

  it("checks schemas with gqlparser's rules", () => {
    assert.equal(call("graphql.schema_is_valid", "type Hello { world: String }"), true);
    assert.equal(call("graphql.schema_is_valid", "extend type Hello { world: String }"), true);
    assert.equal(call("graphql.schema_is_valid", "type Hello implements World { f: String }"), false);
    assert.equal(call("graphql.schema_is_valid", "schema { query: Query }"), false);
    assert.equal(
      call(
        "graphql.schema_is_valid",
        "interface A { id: ID }\ninterface B implements A { id: ID }\ntype C implements B { id: ID }",
      ),
      false,
    );
    assert.equal(call("graphql.schema_is_valid", "scalar S @deprecated"), false);
    assert.equal(call("graphql.schema_is_valid", "scalar String"), false);
    const e = callError("graphql.parse", "{ a }", "type Query { a: Nope }");
    assert.equal(e.message, "Error in gqlparser SchemaDocument to Schema conversion: input:1:17: Undefined type Nope.");
  });

  it("accepts AST objects and returns them unchanged", () => {
    const s = call("graphql.parse_schema", "type Query { e(id: String): E }\ntype E { salary: Int! }") as Value;
    const q = call("graphql.parse_query", '{ e(id: "a") { salary } }') as Value;
    const got = call("graphql.parse", q, s);
    assert.ok(got !== undefined && equals(got, [q, s]));
    assert.equal(
      call("graphql.is_valid", fromJson({ Operations: [{ Operation: "query", SelectionSet: [{ Name: "x" }] }] }), s),
      false,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// OPA's conformance cases: the modules follow a few fixed shapes, interpreted here.

const casesDir = "/work/shared/opa-conformance/cases/graphql";

interface YamlCase {
  note: string;
  modules: string[];
  want_result?: { x: unknown }[];
  want_error?: string;
}

class Undefined extends Error {}

/** Splits `a, b` at top-level commas (strings use backticks or double quotes). */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  let quote = "";
  for (const ch of s) {
    if (quote) {
      if (ch === quote) quote = "";
    } else if (ch === "`" || ch === '"') quote = ch;
    else if ("([{".includes(ch)) depth++;
    else if (")]}".includes(ch)) depth--;
    else if (ch === "," && depth === 0) {
      out.push(cur.trim());
      cur = "";
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

function evalTerm(src: string, env: Map<string, Value>): Value {
  const t = src.trim();
  if (t.startsWith("`")) return t.slice(1, -1);
  if (t.startsWith('"')) return JSON.parse(t) as string;
  const callMatch = /^(graphql\.\w+)\(([\s\S]*)\)$/.exec(t);
  if (callMatch) {
    const args = splitArgs(callMatch[2] as string).map((a) => evalTerm(a, env));
    const decl = graphqlBuiltins.find((b) => b.name === callMatch[1]);
    assert.ok(decl, `unknown builtin ${callMatch[1]}`);
    try {
      const r = decl.impl(args, ctx());
      if (r === undefined) throw new Undefined();
      return r;
    } catch (e) {
      if (e instanceof BuiltinError || e instanceof BuiltinTypeError) throw new Error(`${decl.name}: ${e.message}`);
      throw e;
    }
  }
  if (t.startsWith("{") || t.startsWith("[")) return fromJson(JSON.parse(t.replace(/,(\s*[}\]])/g, "$1")));
  const v = env.get(t);
  assert.ok(v !== undefined, `unbound ${t}`);
  return v;
}

function unify(pattern: string, v: Value, env: Map<string, Value>): boolean {
  const p = pattern.trim();
  if (p === "_") return true;
  if (p.startsWith("[")) {
    const parts = splitArgs(p.slice(1, -1));
    return Array.isArray(v) && v.length === parts.length && parts.every((q, i) => unify(q, v[i] as Value, env));
  }
  if (/^\w+$/.test(p) && !env.has(p)) {
    env.set(p, v);
    return true;
  }
  return equals(evalTerm(p, env), v);
}

function truthy(v: Value): boolean {
  return v !== false;
}

/** Runs the `p` rule of a case module; returns its value, or undefined. */
function runCase(module: string): Value | undefined {
  const env = new Map<string, Value>();
  const head = /^p (?:(:=|=) (\w+) )?if \{$/m.exec(module);
  assert.ok(head, "no rule p");
  const top = module
    .slice(0, head.index)
    .split("\n")
    .filter((l) => !l.startsWith("#"))
    .join("\n");
  for (const m of top.matchAll(/^(\w+) := ([\s\S]*?)(?=^\w+ :=|$(?![\s\S]))/gm))
    env.set(m[1] as string, evalTerm(m[2] as string, env));
  const body = module.slice(head.index + head[0].length, module.lastIndexOf("}"));
  try {
    for (const raw of body.split("\n")) {
      const line = raw.trim();
      if (!line || line.startsWith("#")) continue;
      const negated = line.startsWith("not ");
      const stmt = negated ? line.slice(4) : line;
      let ok: boolean;
      const assign = /^(\[.*\]|\w+) :?= (graphql\.[\s\S]*)$/.exec(stmt);
      const eq = /^(graphql\.[\s\S]*\)) == (\w+)$/.exec(stmt);
      try {
        if (assign) ok = unify(assign[1] as string, evalTerm(assign[2] as string, env), env);
        else if (eq) ok = equals(evalTerm(eq[1] as string, env), evalTerm(eq[2] as string, env));
        else ok = truthy(evalTerm(stmt, env));
      } catch (e) {
        if (!(e instanceof Undefined)) throw e;
        ok = false;
      }
      if (ok === negated) return undefined;
    }
  } catch (e) {
    if (e instanceof Undefined) return undefined;
    throw e;
  }
  return head[2] ? env.get(head[2]) : true;
}

describe("OPA graphql conformance cases", { skip: !existsSync(casesDir) }, () => {
  const files = existsSync(casesDir) ? readdirSync(casesDir).filter((f) => f.endsWith(".yaml")) : [];
  for (const file of files) {
    const doc = parseYaml(readFileSync(join(casesDir, file), "utf8")) as { cases: YamlCase[] };
    for (const c of doc.cases) {
      it(c.note, () => {
        const module = c.modules[0] as string;
        if (c.want_error !== undefined) {
          assert.throws(
            () => runCase(module),
            (e: Error) => e.message.includes(c.want_error as string),
          );
          return;
        }
        const got = runCase(module);
        const want = c.want_result ?? [];
        if (want.length === 0) assert.equal(got, undefined);
        else
          assert.ok(
            got !== undefined && equals(got, fromJson(want[0]?.x)),
            `got ${got === undefined ? "undefined" : formatValue(got)}`,
          );
      });
    }
  }
});
