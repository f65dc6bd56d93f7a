/** A request's cancellation: listeners once, removal, and a signal that follows it. */
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

  it("gives a signal that aborts with it, before or after the signal is asked for", () => {
    const early = new Cancellation();
    const signal = early.signal;
    assert.equal(signal.aborted, false);
    early.abort(new Error("timeout"));
    assert.equal(signal.aborted, true);
    assert.equal((signal.reason as Error).message, "timeout");

    const late = new Cancellation();
    late.abort("done");
    assert.equal(late.signal.aborted, true);
    assert.equal(late.signal.reason, "done");
  });
});
