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

/** Every builtin by name. */
export const BUILTINS: ReadonlyMap<string, BuiltinDecl> = new Map(families.flat().map((d) => [d.name, d]));

/** Builtins implemented by the evaluator itself (they need evaluation state), with arity (-1: variadic). */
export const SPECIALS: ReadonlyMap<string, number> = new Map([
  ["print", -1],
  ["trace", 1],
  ["opa.runtime", 0],
  ["rego.metadata.rule", 0],
  ["rego.metadata.chain", 0],
]);

/** Builtins a gateway policy must not call: they do network I/O. */
export const FORBIDDEN: ReadonlyMap<string, string> = new Map([
  ["http.send", "network I/O is not allowed in Portcullis policies (decisions must not depend on the network)"],
  ["net.lookup_ip_addr", "network I/O is not allowed in Portcullis policies (decisions must not depend on DNS)"],
]);
