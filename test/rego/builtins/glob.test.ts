import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { RE2JS } from "re2js";
import { globBuiltins, globToRegex } from "../../../src/rego/builtins/glob.js";
import type { BuiltinDecl } from "../../../src/rego/builtins/types.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinError, BuiltinTypeError } from "../../../src/rego/errors.js";
import type { Value } from "../../../src/rego/value.js";

const ctx = { nowNs: 0, cache: new Map<string, unknown>(), compiled: new BoundedCache(64), print() {} };
const decl = (name: string): BuiltinDecl => {
  const d = globBuiltins.find((b) => b.name === name);
  if (!d) throw new Error(`no builtin ${name}`);
  return d;
};
const match = (pattern: Value, delimiters: Value, s: Value): Value | undefined =>
  decl("glob.match").impl([pattern, delimiters, s], ctx);

describe("glob builtins", () => {
  it("glob.quote_meta (conformance: globquotemeta)", () => {
    assert.equal(decl("glob.quote_meta").impl(["*.github.com"], ctx), "\\*.github.com");
    assert.equal(decl("glob.quote_meta").impl(["[a-z]{x,y}?\\!"], ctx), "\\[a-z\\]\\{x,y\\}\\?\\\\!");
  });

  it("glob.match follows gobwas/glob", () => {
    const cases: [string, Value, string, boolean][] = [
      ["*.github.com", [], "api.github.com", true],
      ["*.github.com", [], "api.cdn.github.com", false],
      ["*hub.com", null, "api.cdn.github.com", true],
      ["*:github:com", [":"], "api:github:com", true],
      ["api.**.com", [], "api.github.com", true],
      ["api.**.com", [], "api.cdn.github.com", true],
      ["?at", [], "cat", true],
      ["?at", [], "at", false],
      ["[abc]at", [], "bat", true],
      ["[!abc]at", [], "cat", false],
      ["[a-c]at", [], "cat", true],
      ["[!a-c]at", [], "dat", true],
      ["{cat,bat,[fr]at}", [], "rat", true],
      ["{cat,bat,[fr]at}", [], "at", false],
      ["a\\*b", [], "a*b", true],
      ["a\\*b", [], "axb", false],
      ["*", null, "multi\nline.text", true],
      ["?", [], ".", false],
    ];
    for (const [p, d, s, want] of cases) assert.equal(match(p, d, s), want, `${p} ${JSON.stringify(d)} ${s}`);
  });

  it("reports gobwas' pattern errors and OPA's operand errors", () => {
    assert.throws(
      () => match("[]", [], "a"),
      (e: unknown) => e instanceof BuiltinError && e.message === "could not parse range",
    );
    assert.throws(
      () => match("[a-", [], "a"),
      (e: unknown) => e instanceof BuiltinError && e.message === "unexpected end of input",
    );
    const typeError = (msg: string) => (e: unknown) => e instanceof BuiltinTypeError && e.message === msg;
    assert.throws(
      () => match("*", ["ab"], "x"),
      typeError("operand 2 must be array of runes but got array containing string"),
    );
    assert.throws(
      () => match("*", [1], "x"),
      typeError("operand 2 must be array of strings but got array containing number"),
    );
    assert.throws(() => match("*", "x", "x"), typeError("operand 2 must be one of {array, null} but got string"));
  });

  it("matches in linear time", () => {
    const start = Date.now();
    assert.equal(match("*a*a*a*a*a*a*a*a*b", [], "a".repeat(100_000)), false);
    assert.ok(Date.now() - start < 2000, "took too long");
  });
});

describe("glob.match fast paths", () => {
  it("agree with the RE2 translation on literal, `*` and `**` suffix patterns", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("a", "b", ".", "/"), { maxLength: 4 }).map((xs) => xs.join("")),
        fc.constantFrom("", "*", "**"),
        fc.array(fc.constantFrom("a", "b", ".", "/"), { maxLength: 6 }).map((xs) => xs.join("")),
        fc.constantFrom<Value>([], ["/"], null),
        (prefix, suffix, subject, delimiters) => {
          const pattern = prefix + suffix;
          const delims =
            delimiters === null ? [] : (delimiters as string[]).length === 0 ? ["."] : (delimiters as string[]);
          const re = RE2JS.compile(
            globToRegex(
              pattern,
              delims.map((d) => d.codePointAt(0) as number),
            ),
          );
          assert.equal(match(pattern, delimiters, subject), re.matches(subject));
        },
      ),
      { seed: 7, numRuns: 2000 },
    );
  });
});
