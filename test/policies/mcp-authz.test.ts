import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createBaseline } from "../../scripts/bench-baseline.js";
import { generateInputs } from "../../scripts/bench-inputs.js";
import type { AuthzData, AuthzInput } from "../../scripts/lib/authz-model.js";
import { compile, type Json } from "../../src/rego/index.js";

const DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../policies/mcp-authz");
const data = JSON.parse(readFileSync(resolve(DIR, "data.json"), "utf8")) as AuthzData & Json;
const policy = compile({ modules: { "policy.rego": readFileSync(resolve(DIR, "policy.rego"), "utf8") }, data });
const decision = policy.prepare("data.portcullis.authz.decision");
const baseline = createBaseline(data);

function decide(input: AuthzInput): Json | undefined {
  return decision.eval({ input: input as unknown as Json })[0]?.expressions[0]?.value;
}

function request(overrides: Partial<AuthzInput>): AuthzInput {
  return {
    method: "tools/call",
    subject: { user: "u0000" },
    server: "gitlab",
    params: { name: "get_issue", arguments: {} },
    tool: { annotations: {} },
    // Tuesday 2025-06-03 12:30 UTC.
    context: { time_ns: 1748953800 * 1e9, calls_last_hour: 0 },
    ...overrides,
  };
}

describe("reference MCP authorization policy", () => {
  it("agrees with the TypeScript baseline on generated inputs", () => {
    for (const input of generateInputs(data, 400, 7)) {
      const engine = decide(input);
      const expected = baseline(input);
      assert.deepEqual(engine, expected, `input ${JSON.stringify(input)}`);
    }
  });

  it("denies unknown users with hard reasons", () => {
    const result = decide(request({ subject: { user: "nobody" } })) as { allow: boolean; reasons: string[] };
    assert.equal(result.allow, false);
    assert.ok(result.reasons.includes("unknown user"));
  });

  it("lets admins override soft denials but not hard ones", () => {
    const admin = Object.entries(data.users).find(([, u]) => u.role === "admin" && !u.disabled)?.[0];
    assert.ok(admin, "the generated data has an admin");
    const soft = decide(
      request({ subject: { user: admin }, context: { time_ns: 1748953800 * 1e9, calls_last_hour: 1e6 } }),
    );
    assert.deepEqual(soft, { allow: true, reasons: [], admin_override: true });
    const hard = decide(
      request({ subject: { user: admin }, params: { name: "get_issue", arguments: { text: "password=x" } } }),
    ) as { allow: boolean; reasons: string[] };
    assert.deepEqual(hard.reasons, ["argument text matches a blocked pattern"]);
  });
});
