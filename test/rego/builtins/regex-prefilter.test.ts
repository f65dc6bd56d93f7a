import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RE2JS } from "re2js";
import { mayMatch, regexPrefilter } from "../../../src/rego/builtins/regex-prefilter.js";

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("regex prefilter", () => {
  it("finds the literals the policy patterns require", () => {
    assert.deepEqual(regexPrefilter("(?i)password\\s*[=:]"), {
      anyOf: ["password"],
      foldCase: true,
      foldsNonAscii: true,
    });
    assert.deepEqual(regexPrefilter("AKIA[0-9A-Z]{16}"), { anyOf: ["AKIA"], foldCase: false, foldsNonAscii: false });
    assert.deepEqual(regexPrefilter("-----BEGIN [A-Z ]*PRIVATE KEY-----"), {
      anyOf: ["PRIVATE KEY-----"],
      foldCase: false,
      foldsNonAscii: false,
    });
    assert.deepEqual(regexPrefilter("(?i)\\b(drop|truncate|delete|alter)\\b"), {
      anyOf: ["drop", "truncate", "delete", "alter"],
      foldCase: true,
      foldsNonAscii: false,
    });
    assert.deepEqual(regexPrefilter("(?i)ABC|Def"), { anyOf: ["abc", "def"], foldCase: true, foldsNonAscii: false });
    assert.deepEqual(regexPrefilter("a\\.b+c"), { anyOf: ["a."], foldCase: false, foldsNonAscii: false });
    assert.deepEqual(regexPrefilter("(?:xy)+z?"), { anyOf: ["xy"], foldCase: false, foldsNonAscii: false });
  });

  it("gives up when nothing is required or the syntax is outside its subset", () => {
    for (const p of [
      "",
      "a*",
      "(ab)?",
      "ab|c*",
      "x{0}",
      "\\pL+",
      "\\Qa.b\\E",
      "a(?i)b",
      "(?i:ab)",
      "(?i-s)ab",
      "\\x41BC",
      "a\\nb",
      "[[:alpha:]]",
      "a{,2}",
      "(a|b|c|d|e|f|g|h|i)",
    ]) {
      assert.equal(regexPrefilter(p), undefined, p);
    }
  });

  it("lets input with U+212A or U+017F through case-folded k and s (RE2 folds K to U+212A, s to U+017F)", () => {
    for (const [pattern, input] of [
      ["(?i)kelvin", "\u212Aelvin"],
      ["(?i)password", "pa\u017F\u017Fword"],
      ["(?i)password\\s*=", "PA\u017FSWORD ="],
    ] as const) {
      assert.equal(RE2JS.compile(pattern).test(input), true, `${pattern} on ${input}`);
      const prefilter = regexPrefilter(pattern);
      assert.ok(prefilter);
      assert.equal(mayMatch(prefilter, input), true, `${pattern} on ${input}`);
    }
  });

  it("rejects inputs without the literal and keeps those with it", () => {
    const pf = regexPrefilter("(?i)\\b(drop|truncate|delete|alter)\\b");
    assert.ok(pf);
    assert.equal(mayMatch(pf, "SELECT id FROM accounts"), false);
    assert.equal(mayMatch(pf, "DROP TABLE accounts"), true);
    assert.equal(mayMatch(pf, "dropped"), true);
    const secret = regexPrefilter("AKIA[0-9A-Z]{16}");
    assert.ok(secret);
    assert.equal(mayMatch(secret, "akiaABCDEFGHIJKLMNOP"), false);
  });

  it("never rejects an input the regex matches (random patterns and inputs)", () => {
    const rand = prng(20261124);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const atoms = ["a", "b", "i", "I", "k", "K", "s", "S", "x", "-", "=", " ", ".", "\\.", "\\s", "\\b", "\\d", "\\w"];
    const classes = ["[a-c]", "[^a]", "[ks]", "[]a]", "[[:alpha:]]", "[=:]"];
    const quantifiers = ["", "", "", "*", "+", "?", "{2}", "{0,1}", "{1,}", "+?"];
    const pattern = (depth: number): string => {
      let out = "";
      const n = 1 + Math.floor(rand() * 5);
      for (let i = 0; i < n; i++) {
        const r = rand();
        let atom: string;
        if (r < 0.65) atom = pick(atoms);
        else if (r < 0.8) atom = pick(classes);
        else if (depth < 2) {
          const alts = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pattern(depth + 1));
          atom = `(${rand() < 0.5 ? "?:" : ""}${alts.join("|")})`;
        } else atom = pick(atoms);
        out += atom + pick(quantifiers);
      }
      return out;
    };
    // With the characters whose case mappings leave ASCII or change length (U+0130 lowercases to two).
    const alphabet = ["a", "b", "i", "I", "k", "K", "s", "S", "x", "-", "=", ":", " ", "1", "é", "ß", "Σ"];
    alphabet.push("\u212A", "\u017F", "\u0130", "\u0131");
    let checked = 0;
    let rejected = 0;
    for (let p = 0; p < 1500; p++) {
      const src = `${rand() < 0.5 ? "(?i)" : ""}${pattern(0)}${rand() < 0.2 ? `|${pattern(1)}` : ""}`;
      let re: RE2JS;
      try {
        re = RE2JS.compile(src);
      } catch {
        continue;
      }
      const prefilter = regexPrefilter(src);
      if (prefilter === undefined) continue;
      for (let i = 0; i < 40; i++) {
        const len = Math.floor(rand() * 12);
        let input = "";
        for (let j = 0; j < len; j++) input += pick(alphabet);
        // Half the inputs contain a required literal in some casing, so matches are frequent.
        if (rand() < 0.5) {
          const lit = pick(prefilter.anyOf);
          input += rand() < 0.5 ? lit.toUpperCase() : lit;
          for (let j = 0; j < 3; j++) input += pick(alphabet);
        }
        const matches = re.test(input);
        const may = mayMatch(prefilter, input);
        if (matches) assert.equal(may, true, `pattern ${JSON.stringify(src)} input ${JSON.stringify(input)}`);
        checked++;
        if (!may) rejected++;
      }
    }
    // The property is only meaningful if the prefilter ran often and rejected some inputs.
    assert.ok(checked > 10_000, `checked ${checked}`);
    assert.ok(rejected > 1_000, `rejected ${rejected}`);
  });
});
