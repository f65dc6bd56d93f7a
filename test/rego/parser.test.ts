import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Expr, Module, Rule, Term } from "../../src/rego/ast.js";
import { RegoError } from "../../src/rego/errors.js";
import { parseModule, parseQuery, parseTerm } from "../../src/rego/parser.js";

/** A compact, readable rendering of terms so that tests can compare whole shapes at once. */
function show(t: Term): string {
  switch (t.type) {
    case "null":
      return "null";
    case "boolean":
      return String(t.value);
    case "number":
      return t.raw;
    case "string":
      return JSON.stringify(t.value);
    case "var":
      return t.name;
    case "ref":
      return `${show(t.head)}${t.path.map((p) => `[${show(p)}]`).join("")}`;
    case "array":
      return `[${t.items.map(show).join(", ")}]`;
    case "set":
      return `set(${t.items.map(show).join(", ")})`;
    case "object":
      return `{${t.items.map(([k, v]) => `${show(k)}: ${show(v)}`).join(", ")}}`;
    case "arraycomp":
      return `[${show(t.head)} | ${t.body.map(showExpr).join("; ")}]`;
    case "setcomp":
      return `{${show(t.head)} | ${t.body.map(showExpr).join("; ")}}`;
    case "objectcomp":
      return `{${show(t.key)}: ${show(t.value)} | ${t.body.map(showExpr).join("; ")}}`;
    case "call":
      return `${show(t.op)}(${t.args.map(show).join(", ")})`;
    case "template":
      return `$<${t.parts.map((p) => (typeof p === "string" ? p : `{${show(p)}}`)).join("")}>`;
  }
}

function showExpr(e: Expr): string {
  let s: string;
  switch (e.kind) {
    case "term":
      s = `${e.negated ? "not " : ""}${show(e.term)}`;
      break;
    case "some":
      s = `some ${e.vars.map(show).join(", ")}`;
      break;
    case "somein":
      s = `some ${e.key ? `${show(e.key)}, ` : ""}${show(e.value)} in ${show(e.domain)}`;
      break;
    case "every":
      s = `${e.negated ? "not " : ""}every ${e.key ? `${show(e.key)}, ` : ""}${show(e.value)} in ${show(e.domain)} { ${e.body.map(showExpr).join("; ")} }`;
      break;
  }
  return s + e.with.map((w) => ` with ${show(w.target)} as ${show(w.value)}`).join("");
}

const q = (src: string): string => parseQuery(src).map(showExpr).join("; ");
const term = (src: string): string => show(parseTerm(src));
const mod = (body: string): Module => parseModule("m.rego", `package p\n${body}`);

function rule(body: string, index = 0): Rule {
  const r = mod(body).rules[index];
  assert.ok(r, "rule exists");
  return r;
}

function showRule(r: Rule): string {
  const h = r.head;
  let s = `${r.default ? "default " : ""}${h.ref.map(show).join(".")}`;
  if (h.args) s += `(${h.args.map(show).join(", ")})`;
  if (h.key) s += ` contains ${show(h.key)}`;
  if (h.value) s += ` ${h.assign ? ":=" : "="} ${show(h.value)}`;
  s += ` if { ${r.body.map(showExpr).join("; ")} }`;
  if (r.else) s += ` else${showRule(r.else).slice(s.indexOf(" "))}`;
  return s;
}

const rules = (body: string): string[] => mod(body).rules.map(showRule);

function parseError(fn: () => unknown): RegoError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof RegoError, `expected RegoError, got ${String(e)}`);
    assert.equal(e.code, "rego_parse_error");
    return e;
  }
  assert.fail("expected a parse error");
}

function assertModuleError(src: string, message: string | RegExp, row?: number, col?: number): void {
  const e = parseError(() => parseModule("bad.rego", src));
  if (typeof message === "string") assert.ok(e.message.includes(message), `message ${JSON.stringify(e.message)}`);
  else assert.match(e.message, message);
  if (row !== undefined) assert.equal(e.location?.row, row, `row in ${e.message}`);
  if (col !== undefined) assert.equal(e.location?.col, col, `col in ${e.message}`);
  assert.equal(e.location?.file, "bad.rego");
}

describe("packages and imports", () => {
  it("parses package paths", () => {
    assert.deepEqual(parseModule("a", "package a.b.c").package.path, ["a", "b", "c"]);
    assert.deepEqual(parseModule("a", 'package a["x-y"].z').package.path, ["a", "x-y", "z"]);
    assert.deepEqual(parseModule("f.rego", "\n  package a").package.loc, { file: "f.rego", row: 2, col: 3 });
  });

  it("parses imports", () => {
    const m = parseModule(
      "a",
      [
        "package a",
        "import data.x.y",
        "import data.x.y as z",
        "import input.foo",
        "import rego.v1",
        "import future.keywords",
        "import future.keywords.in",
        "import data",
        'import data.x["a-b"]',
      ].join("\n"),
    );
    const shown = m.imports.map((i) => `${show(i.path)}${i.alias ? ` as ${i.alias}` : ""}`);
    assert.deepEqual(shown, [
      'data["x"]["y"]',
      'data["x"]["y"] as z',
      'input["foo"]',
      'rego["v1"]',
      'future["keywords"]',
      'future["keywords"]["in"]',
      "data",
      'data["x"]["a-b"]',
    ]);
    assert.equal(m.imports[0]?.path.type, "ref");
    assert.equal(m.imports[6]?.path.type, "var");
    assert.deepEqual(m.imports[1]?.loc, { file: "a", row: 3, col: 1 });
  });

  it("rejects bad package and import paths", () => {
    assertModuleError("package foo.", "unexpected eof token: expected ident", 1, 13);
    assertModuleError("package a[1]", "unexpected number token: expected string");
    assertModuleError("p := 1", "package expected", 1, 1);
    assertModuleError("package a\nimport foo.bar", "path must begin with input or data", 2, 8);
    assertModuleError("package a\nimport future.stuff", "invalid import future.stuff");
    assertModuleError("package a\nimport rego.v2", "invalid import rego.v2");
    assertModuleError("package a\npackage b", "unexpected package keyword", 2, 1);
  });
});

describe("rules", () => {
  it("parses complete rules", () => {
    assert.deepEqual(rules("p := 1\nq = 2\nr if { true }\ns := v if { v := 1 }"), [
      "p := 1 if { true }",
      "q = 2 if { true }",
      "r = true if { true }",
      "s := v if { assign(v, 1) }",
    ]);
    const r = rule("\n  p := 1");
    assert.equal(r.head.assign, true);
    assert.equal(r.head.key, undefined);
    assert.equal(r.head.args, undefined);
    assert.deepEqual(r.loc, { file: "m.rego", row: 3, col: 3 });
    assert.deepEqual(r.body[0]?.loc, r.head.loc);
  });

  it("parses default rules", () => {
    const r = rule("default p := false");
    assert.equal(r.default, true);
    assert.equal(showRule(r), "default p := false if { true }");
    assert.deepEqual(rules("default f(_) = 1"), ["default f(_) = 1 if { true }"]);
    assertModuleError("package a\ndefault p", "default rules must have a value", 2, 1);
    assertModuleError("package a\ndefault p := 1 if { true }", "default rules must not have a body", 2, 16);
  });

  it("parses multi-value rules", () => {
    assert.deepEqual(rules('p contains x if { some x in [1] }\np contains "a"\na.b contains 1 if true'), [
      "p contains x if { some x in [1] }",
      'p contains "a" if { true }',
      'a."b" contains 1 if { true }',
    ]);
    const r = rule("p contains 1");
    assert.equal(r.head.value, undefined);
    assert.equal(show(r.head.key as Term), "1");
  });

  it("parses ref heads", () => {
    const r = rule("a.b[c].d := v if { v := 1; c := 2 }");
    assert.deepEqual(
      r.head.ref.map((t) => [t.type, show(t)]),
      [
        ["var", "a"],
        ["string", '"b"'],
        ["var", "c"],
        ["string", '"d"'],
      ],
    );
    assert.deepEqual(rules('p[k] := v if { k := "a"; v := 1 }\np[x] if { x := 1 }\np["a"] = 1'), [
      'p.k := v if { assign(k, "a"); assign(v, 1) }',
      "p.x = true if { assign(x, 1) }",
      'p."a" = 1 if { true }',
    ]);
  });

  it("parses functions", () => {
    assert.deepEqual(rules("f(x) := y if { y := x }\nf(x) if { x }\nf(x, y) = z if { z := x + y }\ng(1, [a]) := a"), [
      "f(x) := y if { assign(y, x) }",
      "f(x) = true if { x }",
      "f(x, y) = z if { assign(z, plus(x, y)) }",
      "g(1, [a]) := a if { true }",
    ]);
  });

  it("parses else chains", () => {
    const r = rule("p := 1 if { false } else := 2 if { true } else := 3");
    assert.equal(showRule(r), "p := 1 if { false } else := 2 if { true } else := 3 if { true }");
    assert.equal(r.else?.else?.else, undefined);
    assert.deepEqual(r.else?.loc, { file: "m.rego", row: 2, col: 21 });
    const f = rule("f(x) = 1 if { x } else = x if { true } else if { true }");
    assert.equal(showRule(f), "f(x) = 1 if { x } else = x if { true } else = true if { true }");
    assert.equal(f.else?.head.args?.length, 1);
    assert.equal(f.else?.head.assign, false);
    assert.deepEqual(rules("p := 1 if {\n  false\n}\nelse := 2"), ["p := 1 if { false } else := 2 if { true }"]);
  });

  it("parses if with a single expression", () => {
    assert.deepEqual(rules("p if input.x == 1\nq if not p\nr if p with input as 1\ns if every x in [] { x }"), [
      'p = true if { equal(input["x"], 1) }',
      "q = true if { not p }",
      "r = true if { p with input as 1 }",
      "s = true if { every x in [] { x } }",
    ]);
    assert.deepEqual(rules("f(x) := y if {x: i | x := [1][i]}"), ["f(x) := y if { {x: i | assign(x, [1][i])} }"]);
  });

  it("separates body expressions by newlines and semicolons", () => {
    assert.deepEqual(rules("p if {\n  a\n  b; c\n  x := 1 +\n    2\n}"), [
      "p = true if { a; b; c; assign(x, plus(1, 2)) }",
    ]);
  });

  it("parses METADATA annotations", () => {
    const m = parseModule(
      "a",
      [
        "# METADATA",
        "# title: The package",
        "package a",
        "",
        "# just a comment",
        "# METADATA",
        "# title: Rule p",
        "# custom:",
        "#   severity: high",
        "#   tags: [a, b]",
        "p := 1",
        "q := 2",
      ].join("\n"),
    );
    assert.deepEqual(m.package.annotations, { title: "The package" });
    assert.deepEqual(m.rules[0]?.annotations, { title: "Rule p", custom: { severity: "high", tags: ["a", "b"] } });
    assert.equal(m.rules[1]?.annotations, undefined);
    assertModuleError("package a\n# METADATA\n# title: [unclosed\np := 1", "yaml", 2, 1);
  });

  it("rejects v0 syntax and bad heads", () => {
    assertModuleError("package a\np { true }", "`if` keyword is required before rule body", 2, 3);
    assertModuleError("package a\nf(x) { true }", "`if` keyword is required before function body", 2, 6);
    const e = parseError(() => parseModule("a", "package a\np[x] { x := 1 }"));
    assert.deepEqual(
      e.errors.map((x) => x.message),
      ["`if` keyword is required before rule body", "`contains` keyword is required for partial set rules"],
    );
    assertModuleError("package a\np contains x { x := 1 }", "`if` keyword is required before rule body");
    assertModuleError("package a\np[x]", "`contains` keyword is required for partial set rules", 2, 1);
    assertModuleError("package a\np", "rule must have value assignment and/or body declaration", 2, 1);
    assertModuleError("package a\npecakge p", "var cannot be used for rule name", 2, 1);
    assertModuleError("package a\n{}", "object cannot be used for rule name", 2, 1);
    assertModuleError("package a\n1 := 2", "number cannot be used for rule name", 2, 1);
    assertModuleError("package a\nif := 1", "unexpected if keyword", 2, 1);
    assertModuleError("package a\np := 1 }", "unexpected } token", 2, 8);
    assertModuleError("package a\np if { }", "found empty body", 2, 6);
    assertModuleError("package a\np := 1 q := 2", "unexpected ident token", 2, 8);
    assertModuleError("package a\np contains x else := 1", "else keyword cannot be used on multi-value rules");
    assertModuleError("package a\np if {\n  x := 1\n", "unexpected eof token", 4, 1);
  });
});

describe("expressions", () => {
  it("desugars operators", () => {
    assert.equal(q("a = b"), "eq(a, b)");
    assert.equal(q("a := b"), "assign(a, b)");
    assert.equal(
      q("a == b; a != b; a < b; a <= b; a > b; a >= b"),
      "equal(a, b); neq(a, b); lt(a, b); lte(a, b); gt(a, b); gte(a, b)",
    );
    assert.equal(q("x := a + b - c * d / e % f"), "assign(x, minus(plus(a, b), rem(div(mul(c, d), e), f)))");
    assert.equal(q("x := a | b & c"), "assign(x, or(a, and(b, c)))");
    assert.equal(q("x := a + b == c | d"), "assign(x, equal(plus(a, b), or(c, d)))");
    assert.equal(q("x in xs"), 'internal["member_2"](x, xs)');
    assert.equal(q("k, v in xs"), 'internal["member_3"](k, v, xs)');
    assert.equal(q("x := 1 in xs"), 'assign(x, internal["member_2"](1, xs))');
    assert.equal(q("1, 2 in [2] in [true]"), 'internal["member_2"](internal["member_3"](1, 2, [2]), [true])');
    assert.equal(q("f((1, 1 in [2]))"), 'f(internal["member_3"](1, 1, [2]))');
    assert.equal(q("x == 1 in xs"), 'internal["member_2"](equal(x, 1), xs)');
    assert.equal(q("(a + b) * c"), "mul(plus(a, b), c)");
    assert.equal(q("x := -1"), "assign(x, -1)");
    assert.equal(q("x := -y.z"), 'assign(x, minus(0, y["z"]))');
    assert.equal(q("x := 1 - -2"), "assign(x, minus(1, -2))");
    assert.equal(q("x := a-1"), "assign(x, minus(a, 1))");
    const call = parseQuery("x := a + b")[0];
    assert.ok(call?.kind === "term" && call.term.type === "call");
    const plus = call.term.args[1];
    assert.ok(plus?.type === "call" && plus.op.type === "var");
    assert.deepEqual(plus.op.loc, { file: "query", row: 1, col: 8 });
    assert.deepEqual(plus.loc, { file: "query", row: 1, col: 6 });
    const member = parseQuery("x in y")[0];
    assert.ok(member?.kind === "term" && member.term.type === "call" && member.term.op.type === "ref");
    assert.equal(member.term.op.head.type, "var");
  });

  it("parses some, every, not and with", () => {
    assert.equal(q("some x, y"), "some x, y");
    assert.equal(q("some x in xs"), "some x in xs");
    assert.equal(q("some k, v in xs"), "some k, v in xs");
    assert.equal(q("some [a, b] in xs"), "some [a, b] in xs");
    assert.equal(q("every x in xs { x > 0 }"), "every x in xs { gt(x, 0) }");
    assert.equal(q("every k, v in {1: 2} {\n  k < v\n  true\n}"), "every k, v in {1: 2} { lt(k, v); true }");
    assert.equal(q("not x = 1"), "not eq(x, 1)");
    assert.equal(
      q('f(x) with input.a as 1 with data.x as {"a": 2} with f as g'),
      'f(x) with input["a"] as 1 with data["x"] as {"a": 2} with f as g',
    );
    assert.equal(q("not p with input as 1"), "not p with input as 1");
    const [s] = parseQuery("  some k, v in xs");
    assert.ok(s?.kind === "somein");
    assert.deepEqual(s.loc, { file: "query", row: 1, col: 3 });
    const [n] = parseQuery("not  x");
    assert.deepEqual(n?.loc, { file: "query", row: 1, col: 1 });
    assert.equal(n?.negated, true);
    const [w] = parseQuery("p with input as 1");
    assert.deepEqual(w?.with[0]?.loc, { file: "query", row: 1, col: 3 });
  });

  it("rejects bad expressions", () => {
    const e = parseError(() => parseQuery("x := }"));
    assert.equal(e.message, "unexpected } token");
    assert.deepEqual(e.location, { file: "query", row: 1, col: 6 });
    assert.equal(parseError(() => parseQuery("")).message, "empty query");
    assert.equal(parseError(() => parseQuery("some 1")).message, "expected var");
    assert.match(parseError(() => parseQuery("every x in xs")).message, /expected \{/);
    assert.match(parseError(() => parseQuery("x with y")).message, /expected as keyword/);
    assert.match(parseError(() => parseQuery("a b")).message, /unexpected ident token/);
    assert.match(parseError(() => parseQuery("[1 | ]")).message, /found empty body/);
    assert.match(parseError(() => parseQuery("x := 1 2")).message, /unexpected number token/);
    assert.equal(parseError(() => parseQuery("f(x)(y)")).message, "unexpected ( token");
    assert.equal(parseError(() => parseQuery("x := if")).message, "unexpected if keyword");
    assert.deepEqual(parseError(() => parseQuery("a\n  b := ;")).location, { file: "query", row: 2, col: 8 });
    assert.equal(parseError(() => parseQuery("x.", "q.rego")).location?.file, "q.rego");
  });
});

describe("terms", () => {
  it("parses scalars", () => {
    assert.deepEqual(parseTerm("null"), { type: "null", loc: { file: "term", row: 1, col: 1 } });
    assert.equal(term("true"), "true");
    assert.equal(term("false"), "false");
    const n = parseTerm("1.5e3");
    assert.ok(n.type === "number");
    assert.equal(n.value, 1500);
    assert.equal(n.raw, "1.5e3");
    assert.equal(term("12345678901234567890"), "12345678901234567890");
    assert.equal(term("0.25"), "0.25");
    assert.equal(term("-0.5E-2"), "-0.5E-2");
  });

  it("decodes strings", () => {
    const s = (src: string): string => {
      const t = parseTerm(src);
      assert.ok(t.type === "string");
      return t.value;
    };
    assert.equal(s('"a\\nb\\tc\\"d\\\\e\\/f\\r\\b\\f"'), 'a\nb\tc"d\\e/f\r\b\f');
    assert.equal(s('"\\u00e9\\ud83d\\ude00"'), "é😀");
    assert.equal(s('"\\ud83d"'), "\uFFFD");
    assert.equal(s('"é😀"'), "é😀");
    assert.equal(s("`raw\\n\nstring`"), "raw\\n\nstring");
    assert.match(parseError(() => parseTerm('"abc')).message, /non-terminated string/);
    assert.match(parseError(() => parseTerm('"a\nb"')).message, /non-terminated string/);
    assert.match(parseError(() => parseTerm('"\\x"')).message, /illegal escape/);
    assert.match(parseError(() => parseTerm('"\\u12"')).message, /illegal escape/);
    assert.match(parseError(() => parseTerm("`abc")).message, /non-terminated raw string/);
  });

  it("parses refs and calls", () => {
    assert.equal(term('a.b[c]["d"][0]'), 'a["b"][c]["d"][0]');
    assert.equal(term("f(x).y"), 'f(x)["y"]');
    assert.equal(term("[1, 2][i]"), "[1, 2][i]");
    assert.equal(term('{"a": 1}.a'), '{"a": 1}["a"]');
    assert.equal(term("json.filter(a, b)"), 'json["filter"](a, b)');
    assert.equal(term("data.lib.f(x)"), 'data["lib"]["f"](x)');
    assert.equal(term("count(x, n)"), "count(x, n)");
    assert.equal(term("print()"), "print()");
    assert.equal(term("f(\n  a,\n  b,\n)"), "f(a, b)");
    assert.equal(term('contains("abc", "b")'), 'contains("abc", "b")');
    assert.equal(term("x[a + 1]"), "x[plus(a, 1)]");
    const r = parseTerm("f(x).y");
    assert.ok(r.type === "ref" && r.head.type === "call");
    const c = parseTerm("data.lib.f(x)");
    assert.ok(c.type === "call" && c.op.type === "ref");
    assert.deepEqual(
      c.op.path.map((p) => p.type),
      ["string", "string"],
    );
    // Whitespace ends a ref: `x [1]` is not `x[1]`.
    assert.match(parseError(() => parseTerm("x [1]")).message, /unexpected \[ token/);
  });

  it("parses composites and comprehensions", () => {
    assert.equal(term("[]"), "[]");
    assert.equal(term("[1, [2], {3}]"), "[1, [2], set(3)]");
    assert.equal(term("[1,\n 2,\n]"), "[1, 2]");
    assert.equal(term("{}"), "{}");
    assert.equal(term("set()"), "set()");
    assert.ok(parseTerm("set()").type === "set");
    assert.equal(term("{1, 2}"), "set(1, 2)");
    assert.equal(term('{"a": 1, b: 2, input.x: 3, [1]: 4,}'), '{"a": 1, b: 2, input["x"]: 3, [1]: 4}');
    assert.equal(term('{"a": {1,2}}'), '{"a": set(1, 2)}');
    assert.equal(term("[x | x := xs[_]]"), "[x | assign(x, xs[_])]");
    assert.equal(term("[x | some x in xs; x > 1\n x < 5]"), "[x | some x in xs; gt(x, 1); lt(x, 5)]");
    assert.equal(term("{x | x := 1}"), "{x | assign(x, 1)}");
    assert.equal(term("{k: v | some k, v in o}"), "{k: v | some k, v in o}");
    assert.equal(term("[a | b | c]"), "[a | or(b, c)]");
    assert.equal(term("[(a | b) | c]"), "[or(a, b) | c]");
    assert.equal(term("{1, a | b}"), "set(1, or(a, b))");
    assert.deepEqual(parseTerm("[\n  1]").loc, { file: "term", row: 1, col: 1 });
    const arr = parseTerm("[\n  1]");
    assert.ok(arr.type === "array");
    assert.deepEqual(arr.items[0]?.loc, { file: "term", row: 2, col: 3 });
  });

  it("parses template strings", () => {
    assert.equal(term('$"hello {input.name}!"'), '$<hello {input["name"]}!>');
    assert.equal(term('$"{1} {"s"} {[1, 2]} {{1}} {x + 1}"'), '$<{1} {"s"} {[1, 2]} {set(1)} {plus(x, 1)}>');
    assert.equal(term('$"a \\{ b \\}"'), "$<a { b }>");
    assert.equal(term('$"nested {$"in {x}"}"'), "$<nested {$<in {x}>}>");
    assert.equal(term("$`raw {x}\\n`"), "$<raw {x}\\n>");
    const t = parseTerm('$"a{x}b"');
    assert.ok(t.type === "template");
    assert.equal(t.parts.length, 3);
    assert.match(parseError(() => parseTerm('$"a{x"')).message, /non-terminated string/);
    assert.match(parseError(() => parseTerm('$"a{x')).message, /expected } to end template string expression/);
    assert.match(parseError(() => parseTerm('$"a{}"')).message, /empty template string expression/);
    assert.match(parseError(() => parseTerm('$"a{x y}"')).message, /expected } to end template/);
  });

  it("parses locations by character", () => {
    const t = parseTerm('"😀😀" + x');
    assert.ok(t.type === "call");
    assert.deepEqual(t.args[1]?.loc, { file: "term", row: 1, col: 8 });
  });

  it("rejects keywords as vars and trailing input", () => {
    assert.equal(parseError(() => parseTerm("some")).message, "unexpected some keyword");
    assert.equal(parseError(() => parseTerm("1 2")).message, "unexpected number token");
    assert.equal(parseError(() => parseTerm("")).message, "empty term");
    assert.match(parseError(() => parseTerm("01")).message, /illegal number format/);
    assert.match(parseError(() => parseTerm("1e")).message, /illegal number format/);
    assert.match(parseError(() => parseTerm("@")).message, /illegal token/);
  });
});

describe("nesting limits", () => {
  for (const [name, src] of [
    ["brackets", "[".repeat(100000)],
    ["parens", "(".repeat(100000)],
    ["braces", "{".repeat(100000)],
    ["unary minus", "-".repeat(100000)],
    ["closed arrays", `${"[".repeat(5000)}${"]".repeat(5000)}`],
    ["calls", `${"f(".repeat(5000)}${")".repeat(5000)}`],
    ["templates", '$"{'.repeat(5000)],
  ] as const) {
    it(`rejects deeply nested ${name}`, () => {
      const e = parseError(() => parseQuery(src));
      assert.match(e.message, /nesting depth exceeded/);
      parseError(() => parseModule("a", `package a\np := ${src}`));
    });
  }

  it("accepts moderately nested input", () => {
    const src = `${"[".repeat(500)}${"]".repeat(500)}`;
    assert.equal(term(src).length, 1000);
  });
});
