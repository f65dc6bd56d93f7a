import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { traceFrom } from "../../src/gateway/input.js";

describe("traceFrom", () => {
  it("continues a valid traceparent with a span of its own", () => {
    const header = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const trace = traceFrom(header);
    assert.equal(trace.traceId, "0af7651916cd43dd8448eb211c80319c");
    assert.match(trace.traceparent, /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    assert.notEqual(trace.traceparent.split("-")[2], "b7ad6b7169203331");
  });

  it("starts a new trace for a missing, malformed or all-zero traceparent", () => {
    for (const header of [
      undefined,
      "garbage",
      "00-00000000000000000000000000000000-b7ad6b7169203331-01",
      "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
    ]) {
      const trace = traceFrom(header);
      assert.match(trace.traceId, /^[0-9a-f]{32}$/);
      assert.notEqual(trace.traceId, "0".repeat(32));
      assert.equal(trace.traceparent, `00-${trace.traceId}-${trace.traceparent.split("-")[2]}-01`);
    }
  });

  it("draws distinct ids across many requests (the random pool refills)", () => {
    const ids = new Set<string>();
    const spans = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const trace = traceFrom(undefined);
      ids.add(trace.traceId);
      spans.add(trace.traceparent.split("-")[2] as string);
    }
    assert.equal(ids.size, 2000);
    assert.equal(spans.size, 2000);
  });
});
