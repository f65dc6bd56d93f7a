/**
 * The audit log on its own: the line format, records and events in order, many records of one
 * turn, the arguments digest, and a destination that cannot be written (reported, never thrown).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type AuditRecord, argumentsDigest, openAuditLog } from "../../src/audit/audit.js";
import { tempDir } from "../http/harness.js";

const record = (n: number): AuditRecord => ({
  method: "tools/call",
  outcome: "allowed",
  identity: { subject: "alice", anonymous: false, groups: ["engineering"], client_id: "cli" },
  session_id: "s-1",
  server: "demo",
  target: `demo__tool_${n}`,
  trace_id: "0123456789abcdef0123456789abcdef",
  duration_ms: 1.5,
  error_type: undefined,
});

describe("audit log", () => {
  const tmp = tempDir("portcullis-audit-");
  after(() => tmp.remove());

  it("writes one JSON line per record, kind and time first, events in order with records", async () => {
    const path = join(tmp.path, "audit.jsonl");
    const log = openAuditLog(path, { includeArguments: false });
    log.write(record(1));
    log.writeEvent("shadow decision differs", { phase: "request" });
    for (let i = 2; i <= 2000; i++) log.write(record(i));
    await log.close();
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    assert.equal(lines.length, 2001);
    const first = JSON.parse(lines[0] as string) as Record<string, unknown>;
    assert.deepEqual(Object.keys(first).slice(0, 3), ["kind", "time", "method"]);
    assert.equal(first.kind, "audit");
    assert.match(String(first.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(first.target, "demo__tool_1");
    assert.equal("error_type" in first, false, "undefined fields are left out");
    const event = JSON.parse(lines[1] as string) as Record<string, unknown>;
    assert.equal(event.event, "shadow decision differs");
    assert.equal(event.phase, "request");
    assert.equal((JSON.parse(lines[2000] as string) as { target: string }).target, "demo__tool_2000");
  });

  it("digests arguments by their canonical JSON (key order does not matter)", () => {
    const a = argumentsDigest({ b: [1, { y: 2, x: "é" }], a: null });
    const b = argumentsDigest({ a: null, b: [1, { x: "é", y: 2 }] });
    assert.equal(a, b);
    assert.match(a, /^sha256:[0-9a-f]{64}$/);
    assert.notEqual(a, argumentsDigest({ a: null, b: [1, { x: "e", y: 2 }] }));
  });

  it("reports writes that fail and still closes", async () => {
    const errors: string[] = [];
    const log = openAuditLog("/dev/full", { includeArguments: false, onError: (e) => errors.push(e.message) });
    log.write(record(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await log.close();
    assert.ok(errors.length > 0 && errors.every((m) => /ENOSPC/.test(m)), errors.join("; "));
  });
});
