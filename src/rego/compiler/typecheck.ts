/**
 * Basic type checks of builtin calls: an operand whose type is known without evaluation (a
 * constant, a literal collection, a comprehension, another builtin's declared result) must fit
 * the builtin's declared operand type. Everything else is checked at evaluation time.
 */
import type { RegoType } from "../builtins/types.js";
import { type Location, RegoError } from "../errors.js";
import { typeName } from "../value.js";
import type { CTerm, FnTarget } from "./ir.js";

type Kind = Exclude<RegoType["kind"], "anyOf" | "any">;

/** The kinds a term can have, or undefined when unknown before evaluation. */
function staticKinds(t: CTerm): Kind[] | undefined {
  switch (t.t) {
    case "const":
      return [typeName(t.v)];
    case "array":
    case "arraycomp":
      return ["array"];
    case "set":
    case "setcomp":
      return ["set"];
    case "object":
    case "objectcomp":
      return ["object"];
    case "template":
      return ["string"];
    case "call":
      return t.fn.kind === "builtin" && t.fn.decl.kind !== "relation" ? kindsOf(t.fn.decl.result) : undefined;
    default:
      return undefined;
  }
}

/** The kinds a declared type admits, or undefined for any. */
function kindsOf(type: RegoType): Kind[] | undefined {
  if (type.kind === "any") return undefined;
  if (type.kind === "anyOf") {
    const out: Kind[] = [];
    for (const t of type.of) {
      const k = kindsOf(t);
      if (!k) return undefined;
      out.push(...k);
    }
    return out;
  }
  return [type.kind];
}

function describe(kinds: Kind[]): string {
  return kinds.length === 1 ? (kinds[0] as string) : `one of {${[...new Set(kinds)].sort().join(", ")}}`;
}

/** Throws `rego_type_error` when an operand's known type can't be what the builtin takes. */
export function checkOperandTypes(fn: FnTarget, args: CTerm[], loc: Location): void {
  if (fn.kind !== "builtin") return;
  fn.decl.args.forEach((param, i) => {
    const arg = args[i];
    if (!arg) return;
    const have = staticKinds(arg);
    const want = kindsOf(param.type);
    if (!have || !want || have.some((k) => want.includes(k))) return;
    throw new RegoError(
      "rego_type_error",
      `${fn.name}: invalid argument(s): operand ${i + 1} must be ${describe(want)} but got ${describe(have)}`,
      loc,
    );
  });
}
