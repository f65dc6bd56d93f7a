import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { GATEWAY_ERRORS } from "../src/errors.js";
import { REGO_ERRORS } from "../src/rego/index.js";

describe("docs/errors.md", () => {
  const page = readFileSync(new URL("../docs/errors.md", import.meta.url), "utf8");

  it("lists every engine and gateway error code with its HTTP status and JSON-RPC code", () => {
    for (const [code, info] of [...Object.entries(REGO_ERRORS), ...Object.entries(GATEWAY_ERRORS)]) {
      const row = page.split("\n").find((line) => line.startsWith(`| \`${code}\` |`));
      assert.ok(row, `docs/errors.md has no row for ${code}`);
      const cells = row.split("|").map((c) => c.trim());
      assert.equal(cells[3], String(info.httpStatus), `${code}: HTTP status`);
      assert.equal(cells[4], String(info.jsonRpcCode), `${code}: JSON-RPC code`);
    }
  });
});
