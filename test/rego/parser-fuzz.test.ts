import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { RegoError } from "../../src/rego/errors.js";
import { parseModule, parseQuery, parseTerm } from "../../src/rego/parser.js";

const TOKENS = [
  "package",
  "import",
  "as",
  "default",
  "if",
  "else",
  "contains",
  "in",
  "some",
  "every",
  "not",
  "with",
  "true",
  "false",
  "null",
  "p",
  "q",
  "x",
  "_",
  "input",
  "data",
  "set",
  "count",
  "a.b",
  "f(x)",
  "1",
  "-",
  "2.5e3",
  '"s"',
  '"\\u00e9"',
  "`raw`",
  '$"t{x}"',
  "$`r{1}`",
  '$"{',
  "{",
  "}",
  "[",
  "]",
  "(",
  ")",
  ".",
  ",",
  ";",
  ":",
  ":=",
  "=",
  "==",
  "!=",
  "<",
  "<=",
  ">",
  ">=",
  "+",
  "*",
  "/",
  "%",
  "&",
  "|",
  "#",
  "# METADATA",
  "  # METADATA",
  "# title: [",
  "\r\n",
  "\n",
  " ",
  "\t",
  '"',
  "`",
  "$",
  "\\",
  "\uD83D",
  "😀",
];

const SEPARATORS = ["", " ", "\n"];

const tokenSoup = fc
  .array(fc.tuple(fc.constantFrom(...TOKENS), fc.constantFrom(...SEPARATORS)), { maxLength: 60 })
  .map((parts) => parts.map(([t, s]) => t + s).join(""));

/** Valid-looking skeletons with random fragments spliced in, to get past the first token more often. */
const spliced = fc
  .tuple(
    fc.constantFrom(
      "package p\np if { # }",
      "package p\np := # if { true }",
      "package p\nf(x) := y if { y := # }",
      "package p\np contains # if { some x in [1] }",
      "package p\n# METADATA\n# title: #\np := 1",
      "package p\np := [x | # ]",
    ),
    tokenSoup,
  )
  .map(([skeleton, soup]) => skeleton.replace("#", soup));

const inputs = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  tokenSoup,
  spliced,
);

/** Runs `fn` and fails unless it returns normally or throws a rego_parse_error RegoError. */
function onlyParseErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof RegoError) || e.code !== "rego_parse_error") {
      assert.fail(`unexpected ${e instanceof Error ? e.stack : String(e)}`);
    }
    assert.ok(e.location === undefined || (e.location.row >= 1 && e.location.col >= 1));
  }
}

describe("parser fuzzing", () => {
  it("parseModule throws only parse errors", () => {
    fc.assert(
      fc.property(inputs, (src) => {
        onlyParseErrors(() => parseModule("fuzz.rego", src));
        onlyParseErrors(() => parseModule("fuzz.rego", `package p\n${src}`));
      }),
      { seed: 42, numRuns: 4000 },
    );
  });

  it("parseQuery and parseTerm throw only parse errors", () => {
    fc.assert(
      fc.property(inputs, (src) => {
        onlyParseErrors(() => parseQuery(src));
        onlyParseErrors(() => parseTerm(src));
      }),
      { seed: 42, numRuns: 4000 },
    );
  });

  it("reports a parse error when called with little stack left", () => {
    const src = `${"[".repeat(400)}${"]".repeat(400)}`;
    let sawOverflowGuard = false;
    const recurse = (n: number): void => {
      if (n > 0) {
        recurse(n - 1);
        return;
      }
      try {
        parseQuery(src);
      } catch (e) {
        if (!(e instanceof RegoError)) throw e;
        assert.equal(e.message, "nesting depth exceeded");
        sawOverflowGuard = true;
      }
    };
    // Probe stack depths until the parse no longer fits; each probe must succeed or fail cleanly.
    for (let n = 1000; n < 200000 && !sawOverflowGuard; n += 1000) {
      try {
        recurse(n);
      } catch (e) {
        if (e instanceof RangeError) break;
        throw e;
      }
    }
    assert.ok(sawOverflowGuard, "a parse ran out of stack and was reported as a parse error");
  });

  it("handles long repetitive inputs in linear-ish time", () => {
    for (const unit of ["[", "{", "(", "-", "not ", "x.", "a + ", '$"{', "p if {", "# c\n", "p := 1\n", "[x | "]) {
      const start = performance.now();
      onlyParseErrors(() => parseModule("big.rego", `package p\np := ${unit.repeat(20000)}`));
      onlyParseErrors(() => parseQuery(unit.repeat(20000)));
      assert.ok(performance.now() - start < 2000, `${JSON.stringify(unit)} took too long`);
    }
  });
});
