/** rego.parse_module: a module's AST as a value, in the JSON shape OPA gives its AST. */
import type { Expr, Module, Rule, Term, WithModifier } from "../ast.js";
import { BuiltinError, RegoError } from "../errors.js";
import { parseModule } from "../parser.js";
import { fromJson, type Json } from "../value.js";
import { argString, type BuiltinDecl, T } from "./types.js";

type JsonObject = { [key: string]: Json };

function term(type: string, value: Json): JsonObject {
  return { type, value };
}

/** A term as OPA marshals it: `{"type": ..., "value": ...}`. */
function termJson(t: Term): JsonObject {
  switch (t.type) {
    case "null":
      return { type: "null" };
    case "boolean":
    case "number":
    case "string":
      return term(t.type, t.value);
    case "var":
      return term("var", t.name);
    case "ref":
      return term("ref", [termJson(t.head), ...t.path.map(termJson)]);
    case "array":
    case "set":
      return term(t.type, t.items.map(termJson));
    case "object":
      return term(
        "object",
        t.items.map(([k, v]) => [termJson(k), termJson(v)]),
      );
    case "arraycomp":
      return term("arraycomprehension", { term: termJson(t.head), body: bodyJson(t.body) });
    case "setcomp":
      return term("setcomprehension", { term: termJson(t.head), body: bodyJson(t.body) });
    case "objectcomp":
      return term("objectcomprehension", { key: termJson(t.key), value: termJson(t.value), body: bodyJson(t.body) });
    case "call":
      return term("call", [termJson(t.op), ...t.args.map(termJson)]);
    case "template":
      return term(
        "templatestring",
        t.parts.map((p) => (typeof p === "string" ? term("string", p) : termJson(p))),
      );
  }
}

function withJson(w: WithModifier): JsonObject {
  return { target: termJson(w.target), value: termJson(w.value) };
}

function exprJson(e: Expr, index: number): JsonObject {
  const out: JsonObject = { index };
  switch (e.kind) {
    case "term":
      // Calls are an operator followed by operands, as in OPA's Expr.Terms.
      out.terms = e.term.type === "call" ? [termJson(e.term.op), ...e.term.args.map(termJson)] : termJson(e.term);
      break;
    case "some":
      out.terms = { symbols: e.vars.map(termJson) };
      break;
    case "somein": {
      const operands = e.key ? [termJson(e.key), termJson(e.value)] : [termJson(e.value)];
      const op = e.key ? "internal.member_3" : "internal.member_2";
      out.terms = { symbols: [term("call", [term("ref", [term("var", op)]), ...operands, termJson(e.domain)])] };
      break;
    }
    case "every":
      out.terms = {
        key: e.key ? termJson(e.key) : null,
        value: termJson(e.value),
        domain: termJson(e.domain),
        body: bodyJson(e.body),
      };
      break;
  }
  if (e.negated) out.negated = true;
  if (e.with.length > 0) out.with = e.with.map(withJson);
  return out;
}

function bodyJson(body: Expr[]): Json[] {
  return body.map(exprJson);
}

function ruleJson(r: Rule): JsonObject {
  const head: JsonObject = { ref: r.head.ref.map(termJson) };
  const first = r.head.ref[0];
  if (first?.type === "var" && r.head.ref.length === 1) head.name = first.name;
  if (r.head.args) head.args = r.head.args.map(termJson);
  if (r.head.key) head.key = termJson(r.head.key);
  if (r.head.value) head.value = termJson(r.head.value);
  if (r.head.assign) head.assign = true;
  const out: JsonObject = { head, body: bodyJson(r.body) };
  if (r.default) out.default = true;
  if (r.else) out.else = ruleJson(r.else);
  if (r.annotations) out.annotations = r.annotations as Json;
  return out;
}

/** A module as OPA marshals it (without locations). */
export function moduleJson(m: Module): JsonObject {
  return {
    package: { path: [term("var", "data"), ...m.package.path.map((p) => term("string", p))] },
    imports: m.imports.map((i) => {
      const imp: JsonObject = { path: termJson(i.path) };
      if (i.alias) imp.alias = i.alias;
      return imp;
    }),
    rules: m.rules.map(ruleJson),
  };
}

export const regoAstBuiltins: BuiltinDecl[] = [
  {
    name: "rego.parse_module",
    args: [
      { name: "filename", type: T.string },
      { name: "rego", type: T.string },
    ],
    result: T.object(T.string, T.any),
    doc: "Parses a Rego module and returns its AST as an object (OPA's JSON shape, without locations).",
    impl(args) {
      const file = argString(args, 1);
      const source = argString(args, 2);
      try {
        return fromJson(moduleJson(parseModule(file, source)));
      } catch (e) {
        if (e instanceof RegoError) throw new BuiltinError(e.toString());
        throw e;
      }
    },
  },
];
