/** Claims to identity: the data-driven cases in identity-cases.yaml, and the bounds an outsider cannot exceed. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { identityFromClaims } from "../../src/auth/identity.js";

interface Case {
  name: string;
  claims: Record<string, unknown>;
  mapping?: { groupsClaim?: string; clientIdClaim?: string };
  identity?: Record<string, unknown>;
  error?: string;
}

const { cases } = parse(readFileSync(new URL("identity-cases.yaml", import.meta.url), "utf8")) as { cases: Case[] };
const DEFAULT_MAPPING = { groupsClaim: "groups", clientIdClaim: "client_id" };

describe("identityFromClaims (identity-cases.yaml)", () => {
  for (const c of cases) {
    it(c.name, () => {
      const result = identityFromClaims(c.claims, { ...DEFAULT_MAPPING, ...c.mapping });
      if (c.error !== undefined) {
        assert.equal(typeof result, "string");
        assert.match(result as string, new RegExp(c.error));
        return;
      }
      assert.notEqual(typeof result, "string", String(result));
      for (const [key, value] of Object.entries(c.identity ?? {})) {
        assert.deepEqual((result as unknown as Record<string, unknown>)[key], value, key);
      }
    });
  }

  it("bounds groups, scopes and the delegation depth", () => {
    let act: Record<string, unknown> = { sub: "agent-0" };
    for (let i = 1; i < 50; i++) act = { sub: `agent-${i}`, act };
    const result = identityFromClaims(
      {
        sub: "alice",
        groups: Array.from({ length: 1000 }, (_, i) => `g${i}`),
        scope: Array.from({ length: 1000 }, (_, i) => `s${i}`).join(" "),
        act,
        name: "x".repeat(10_000),
      },
      DEFAULT_MAPPING,
    );
    assert.ok(typeof result !== "string");
    assert.equal(result.groups.length, 256);
    assert.equal(result.scopes.length, 256);
    assert.equal(result.delegation.length, 8);
    assert.equal(result.delegation[0]?.sub, "agent-49");
    assert.equal(result.name, null);
  });
});
