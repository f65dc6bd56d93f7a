/**
 * End-to-end: a gateway that cannot listen fails with PORTCULLIS_LISTEN_FAILED and a reason, and
 * leaves nothing running behind.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, describe, it } from "node:test";
import { GatewayError } from "../../src/errors.js";
import { startTestGateway, tempDir } from "./harness.js";

describe("listening", () => {
  const dir = tempDir();
  after(() => dir.remove());

  it("reports an address in use as PORTCULLIS_LISTEN_FAILED", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const address = holder.address();
    assert.ok(address !== null && typeof address === "object");
    try {
      await assert.rejects(
        startTestGateway(dir.path, {
          listen: `127.0.0.1:${address.port}`,
          upstreams: [{ name: "none", url: "http://127.0.0.1:9/mcp" }],
        }),
        (e: unknown) =>
          e instanceof GatewayError &&
          e.code === "PORTCULLIS_LISTEN_FAILED" &&
          e.message === `listen: cannot listen on 127.0.0.1:${address.port}: the address is already in use`,
      );
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });
});
