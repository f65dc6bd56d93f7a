/** A request's cancellation: listeners once, and removal. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Cancellation } from "../../src/gateway/cancellation.js";

describe("Cancellation", () => {
  it("runs each listener once with the reason, not after it stopped listening", () => {
    const c = new Cancellation();
    const heard: unknown[] = [];
    c.onAbort((r) => heard.push(["kept", r]));
    const stop = c.onAbort((r) => heard.push(["stopped", r]));
    stop();
    c.abort("client gone");
    c.abort("again");
    assert.deepEqual(heard, [["kept", "client gone"]]);
    assert.equal(c.aborted, true);
    assert.equal(c.reason, "client gone");
  });
});
