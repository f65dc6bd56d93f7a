/**
 * The builtin table: every family's declarations, assembled explicitly (no registration by
 * import side effect).
 */
import { aggregateBuiltins } from "./aggregates.js";
import { arrayBuiltins } from "./arrays.js";
import { awsBuiltins } from "./aws.js";
import { bitsBuiltins } from "./bits.js";
import { castBuiltins } from "./casts.js";
import { comparisonBuiltins } from "./comparison.js";
import { cryptoBuiltins } from "./crypto.js";
import { encodingBuiltins } from "./encoding.js";
import { globBuiltins } from "./glob.js";
import { graphBuiltins } from "./graph.js";
import { graphqlBuiltins } from "./graphql.js";
import { jsonPathBuiltins } from "./json-path.js";
import { jsonSchemaBuiltins } from "./json-schema.js";
import { jwtBuiltins } from "./jwt.js";
import { membershipBuiltins } from "./membership.js";
import { netBuiltins } from "./net.js";
import { numberBuiltins } from "./numbers.js";
import { objectBuiltins } from "./objects.js";
import { regexBuiltins } from "./regex.js";
import { regoAstBuiltins } from "./rego-ast.js";
import { semverBuiltins } from "./semver.js";
import { setBuiltins } from "./sets.js";
import { sprintfBuiltins } from "./sprintf.js";
import { stringBuiltins } from "./strings.js";
import { testingBuiltins } from "./testing.js";
import { timeBuiltins } from "./time.js";
import { typeBuiltins } from "./typechecks.js";
import type { BuiltinDecl } from "./types.js";
import { unitsBuiltins } from "./units.js";
import { uuidBuiltins } from "./uuid.js";
import { x509Builtins } from "./x509.js";

const families: readonly (readonly BuiltinDecl[])[] = [
  comparisonBuiltins,
  numberBuiltins,
  aggregateBuiltins,
  arrayBuiltins,
  setBuiltins,
  objectBuiltins,
  typeBuiltins,
  castBuiltins,
  bitsBuiltins,
  membershipBuiltins,
  stringBuiltins,
  sprintfBuiltins,
  regexBuiltins,
  globBuiltins,
  unitsBuiltins,
  encodingBuiltins,
  jsonPathBuiltins,
  jsonSchemaBuiltins,
  semverBuiltins,
  uuidBuiltins,
  graphBuiltins,
  timeBuiltins,
  netBuiltins,
  cryptoBuiltins,
  x509Builtins,
  jwtBuiltins,
  awsBuiltins,
  graphqlBuiltins,
  regoAstBuiltins,
];

/**
 * A declaration with every field present, in one order: the evaluator reads `kind`, `impl` and
 * `exactIntegers` of whichever builtin a call names, and declarations written as literals with
 * different optional fields would make those reads megamorphic.
 */
function uniform(d: BuiltinDecl): BuiltinDecl {
  return {
    name: d.name,
    args: d.args,
    result: d.result,
    doc: d.doc,
    kind: d.kind ?? "function",
    exactIntegers: d.exactIntegers ?? false,
    nondeterministic: d.nondeterministic ?? false,
    impl: d.impl,
  };
}

/** Every builtin by name. */
export const BUILTINS: ReadonlyMap<string, BuiltinDecl> = new Map(families.flat().map((d) => [d.name, uniform(d)]));

/** Every builtin, and those only test harnesses get (test.sleep). */
export const BUILTINS_WITH_TESTING: ReadonlyMap<string, BuiltinDecl> = new Map([
  ...BUILTINS,
  ...testingBuiltins.map((d): [string, BuiltinDecl] => [d.name, uniform(d)]),
]);

/** Builtins implemented by the evaluator itself (they need evaluation state), with arity (-1: variadic). */
export const SPECIALS: ReadonlyMap<string, number> = new Map([
  ["print", -1],
  ["trace", 1],
  ["opa.runtime", 0],
  ["rego.metadata.rule", 0],
  ["rego.metadata.chain", 0],
]);

const NO_NETWORK = "network I/O is not allowed in Portcullis policies (decisions must not depend on the network)";

/** OPA's builtins that Rego v1 no longer accepts. */
const DEPRECATED_IN_V1 = [
  "all",
  "any",
  "re_match",
  "set_diff",
  "net.cidr_overlap",
  "cast_array",
  "cast_set",
  "cast_string",
  "cast_boolean",
  "cast_null",
  "cast_object",
];

/** Builtins a policy may not call, with the compile error's message: network I/O, and v1's deprecations. */
export const FORBIDDEN: ReadonlyMap<string, string> = new Map([
  ["http.send", `http.send: ${NO_NETWORK}`],
  ["net.lookup_ip_addr", `net.lookup_ip_addr: ${NO_NETWORK}`],
  ...DEPRECATED_IN_V1.map((name): [string, string] => [
    name,
    `deprecated built-in function calls in expression: ${name}`,
  ]),
]);
