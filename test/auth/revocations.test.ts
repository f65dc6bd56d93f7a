/** The revocation list: add/remove, bounds, persistence to its JSON file, change listeners. */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { RevocationList, type RevocationSnapshot } from "../../src/auth/revocations.js";
import { GatewayError } from "../../src/errors.js";
import { tempDir } from "../http/harness.js";

describe("RevocationList", () => {
  const dir = tempDir("portcullis-revocations-");
  after(() => dir.remove());

  it("revokes and restores subjects and clients, reporting every change", () => {
    const list = new RevocationList({ max: 10 });
    const seen: RevocationSnapshot[] = [];
    list.onChange((s) => {
      seen.push(s);
    });
    assert.equal(list.isRevoked("alice", "app"), false);
    assert.equal(list.add({ subject: "alice" }), true);
    assert.equal(list.add({ subject: "alice" }), false);
    assert.equal(list.add({ client_id: "app" }), true);
    assert.equal(list.isRevoked("alice", null), true);
    assert.equal(list.isRevoked("bob", "app"), true);
    assert.equal(list.isRevoked("bob", "other"), false);
    assert.equal(list.remove({ subject: "alice" }), true);
    assert.equal(list.remove({ subject: "alice" }), false);
    assert.deepEqual(seen, [
      { subjects: ["alice"], clients: [] },
      { subjects: ["alice"], clients: ["app"] },
      { subjects: [], clients: ["app"] },
    ]);
  });

  it("is bounded and validates ids", () => {
    const list = new RevocationList({ max: 2 });
    list.add({ subject: "a" });
    list.add({ client_id: "b" });
    assert.throws(
      () => list.add({ subject: "c" }),
      (e: unknown) => e instanceof GatewayError && /full/.test(e.message),
    );
    assert.throws(() => list.add({ subject: "" }), GatewayError);
    assert.throws(() => list.add({ subject: "x".repeat(513) }), GatewayError);
  });

  it("persists to its file and loads it back", () => {
    const path = join(dir.path, "revoked.json");
    const list = new RevocationList({ max: 10, path });
    list.add({ subject: "mallory" });
    list.add({ client_id: "rogue-agent" });
    assert.deepEqual(JSON.parse(readFileSync(path, "utf8")), { subjects: ["mallory"], clients: ["rogue-agent"] });
    const reloaded = new RevocationList({ max: 10, path });
    assert.equal(reloaded.isRevoked("mallory", null), true);
    assert.equal(reloaded.isRevoked(null, "rogue-agent"), true);
  });

  it("refuses a file that is not JSON", () => {
    const path = join(dir.path, "bad.json");
    writeFileSync(path, "{nope");
    assert.throws(() => new RevocationList({ max: 10, path }), /not JSON/);
  });
});
