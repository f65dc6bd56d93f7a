/**
 * Test discovery as `opa test` does it: every rule whose reference (up to its first non-constant
 * operand) has an operand starting with `test_` is a test, `todo_test_` marks a skipped one.
 * Each rule is its own test case: a second definition of `test_x` in a package runs as
 * `test_x#01`, the third as `test_x#02`, and so on (OPA renames them the same way). Since `#`
 * can't appear in a Rego name, such a definition is renamed in the module source to a hidden
 * name before compiling; the result keeps OPA's name.
 */
import type { Module, Rule, Term } from "../ast.js";
import type { Location } from "../errors.js";
import { parseModule } from "../parser.js";

export const TEST_PREFIX = "test_";
export const SKIP_TEST_PREFIX = "todo_test_";

/** One test case. */
export interface TestCase {
  /** The rule's location. */
  location: Location;
  /** `data.a.b` form of the package. */
  package: string;
  /** The rule's name below the package as OPA prints it: `test_x`, `test_x#01`, `p.q.test_y`. */
  name: string;
  /** `package` + `name`: what `--run` matches. */
  fullName: string;
  /** The query that evaluates the test (`data.a.b.test_x`, a renamed duplicate's hidden name). */
  query: string;
  /** The rule set name trace events carry for this test's rules. */
  ruleSet: string;
  skip: boolean;
  /** A partial-object test (`test_x[name] if ...`): its value is an object of sub-results. */
  partialObject: boolean;
}

/** Modules (possibly with renamed duplicates) to compile, the parsed modules, and the tests. */
export interface Discovered {
  sources: Record<string, string>;
  modules: Map<string, Module>;
  tests: TestCase[];
}

/** Parses every module and finds its tests, in file-name order; throws RegoError on bad syntax. */
export function discoverTests(sources: Record<string, string>): Discovered {
  const files = Object.keys(sources).sort();
  const modules = new Map<string, Module>();
  const out: Record<string, string> = {};
  const tests: TestCase[] = [];
  const seen = new Map<string, number>();
  for (const file of files) {
    const source = sources[file] as string;
    const mod = parseModule(file, source);
    modules.set(file, mod);
    const renames: { loc: Location; from: string; to: string }[] = [];
    for (const rule of mod.rules) {
      const found = testName(rule);
      if (!found) continue;
      const pkg = refString(["data", ...mod.package.path]);
      let name = found.ref.join(".");
      let hidden = found.ref;
      if (!found.skip) {
        const key = `${pkg}.${name}`;
        const count = seen.get(key) ?? 0;
        seen.set(key, count + 1);
        const head = rule.head.ref[found.ref.length - 1] as Term;
        if (count > 0 && head.type === "var" && found.ref.length === 1) {
          name = `${name}#${String(count).padStart(2, "0")}`;
          const to = `${head.name}__portcullis_test_${String(count).padStart(2, "0")}`;
          renames.push({ loc: head.loc, from: head.name, to });
          hidden = [to];
        }
      }
      const query = refString(["data", ...mod.package.path, ...hidden]);
      tests.push({
        location: rule.loc,
        package: pkg,
        name,
        fullName: `${pkg}.${name}`,
        query,
        ruleSet: ["data", ...mod.package.path, ...hidden].join("."),
        skip: found.skip,
        partialObject: rule.head.ref.length > found.ref.length && rule.head.key === undefined && !rule.head.args,
      });
    }
    out[file] = renames.length === 0 ? source : rename(source, renames);
  }
  return { sources: out, modules, tests };
}

/** The rule's reference up to its test operand, or undefined when it is no test. */
function testName(rule: Rule): { ref: string[]; skip: boolean } | undefined {
  const ref: string[] = [];
  for (const t of rule.head.ref) {
    let n: string;
    if (t.type === "var" && ref.length === 0) n = t.name;
    else if (t.type === "string") n = t.value;
    else return undefined;
    ref.push(n);
    if (n.startsWith(TEST_PREFIX)) return { ref, skip: false };
    if (n.startsWith(SKIP_TEST_PREFIX)) return { ref, skip: true };
  }
  return undefined;
}

/** Replaces rule names at their locations (rows are 1-based, columns count UTF-16 units from 1). */
function rename(source: string, renames: { loc: Location; from: string; to: string }[]): string {
  const lines = source.split("\n");
  // Right to left within a line, so earlier columns stay valid.
  const sorted = [...renames].sort((a, b) => b.loc.row - a.loc.row || b.loc.col - a.loc.col);
  for (const r of sorted) {
    const line = lines[r.loc.row - 1];
    const at = r.loc.col - 1;
    if (line === undefined || line.slice(at, at + r.from.length) !== r.from) continue;
    lines[r.loc.row - 1] = line.slice(0, at) + r.to + line.slice(at + r.from.length);
  }
  return lines.join("\n");
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `data.a["b-c"].d`: a reference to a path of names. */
export function refString(path: string[]): string {
  let s = path[0] ?? "data";
  for (const seg of path.slice(1)) s += IDENT.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
  return s;
}
