/**
 * Policy sources through a real gateway: a bundle server URL as `policy.bundle` (polled with
 * ETags, bearer credentials from the environment, a broken bundle refused while the last good one
 * serves), and shadow mode (a candidate policy compared on every decision, differences audited and
 * counted but never enforced, the candidate itself hot-reloaded).
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { create as createTar } from "tar";
import type { DemoHttpServer } from "../../src/demo/http.js";
import {
  connectClient,
  demoHttp,
  firstJson,
  mcpErrorOf,
  REPO,
  rawRequest,
  startTestGateway,
  TEST_POLICY,
  type TestGateway,
  tempDir,
} from "./harness.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

/** Polls `probe` every 20 ms until it is true (fails after `ms`). */
async function until(what: string, probe: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe("a bundle server as the policy source", () => {
  const dir = tempDir("portcullis-bundle-server-");
  let server: Server;
  let demo: DemoHttpServer;
  let gw: TestGateway;
  let client: Client;
  let current = { body: Buffer.alloc(0), etag: "" };
  const requests: Array<{ authorization?: string; ifNoneMatch?: string; status: number }> = [];

  /** A .tar.gz bundle that denies `denied` with the reason naming the revision. */
  function publish(revision: string, denied: string, broken = false): void {
    const src = join(dir.path, `src-${revision}`);
    writeFiles(src, {
      ".manifest": JSON.stringify({ revision }),
      "policy.rego": `package portcullis

decision := {"allow": input.tool.name != "${denied}", "reasons": ["${revision}"]}${broken ? " +" : ""}
`,
    });
    const file = join(dir.path, `${revision}.tar.gz`);
    createTar({ gzip: true, file, cwd: src, sync: true, portable: true }, [".manifest", "policy.rego"]);
    current = { body: readFileSync(file), etag: `"${revision}"` };
  }

  before(async () => {
    server = createServer((req, res) => {
      const entry = {
        ...(req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization }),
        ...(typeof req.headers["if-none-match"] === "string" ? { ifNoneMatch: req.headers["if-none-match"] } : {}),
      };
      if (req.headers.authorization !== "Bearer s3cret") {
        requests.push({ ...entry, status: 401 });
        res.writeHead(401).end();
      } else if (req.headers["if-none-match"] === current.etag) {
        requests.push({ ...entry, status: 304 });
        res.writeHead(304, { etag: current.etag }).end();
      } else {
        requests.push({ ...entry, status: 200 });
        res.writeHead(200, { etag: current.etag, "content-type": "application/gzip" }).end(current.body);
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    publish("srv-1", "read_note");
    demo = await demoHttp();
    process.env.PORTCULLIS_TEST_BUNDLE_TOKEN = "s3cret";
    gw = await startTestGateway(dir.path, {
      auth: "none",
      policy: {
        bundle: `http://127.0.0.1:${(server.address() as AddressInfo).port}/bundles/portcullis.tar.gz`,
        polling: { min_delay_seconds: 1, max_delay_seconds: 1 },
        credentials: { bearer: { token_env: "PORTCULLIS_TEST_BUNDLE_TOKEN" } },
      },
      upstreams: [{ name: "demo", url: demo.url }],
    });
    client = (await connectClient(gw.url)).client;
  });
  after(async () => {
    await client?.close();
    await gw?.close();
    await demo?.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    delete process.env.PORTCULLIS_TEST_BUNDLE_TOKEN;
    dir.remove();
  });

  it("loads from the server, polls with If-None-Match, swaps new bundles, refuses broken ones", {
    timeout: 30_000,
  }, async () => {
    const store = gw.gateway.policy;
    assert.equal(store.status().revision, "srv-1");
    assert.deepEqual(requests[0], { authorization: "Bearer s3cret", status: 200 });
    const denied = await mcpErrorOf(() => client.callTool({ name: "demo__read_note", arguments: { id: "1" } }));
    assert.deepEqual((denied.data as { reasons: string[] }).reasons, ["srv-1"]);

    // Unchanged: the next poll is conditional and answered 304.
    await until("a 304", () => requests.some((r) => r.status === 304));
    assert.equal(requests.find((r) => r.status === 304)?.ifNoneMatch, '"srv-1"');
    // The server records the 304 as it answers; the store counts it a moment later.
    await until("the 304 counted as unchanged", () => store.status().reloads.unchanged >= 1);

    publish("srv-2", "search_notes");
    await until("srv-2 serving", () => store.status().revision === "srv-2");
    assert.equal(firstJson(await client.callTool({ name: "demo__read_note", arguments: { id: "1" } })).id, "1");

    const failuresBefore = store.status().reloads.failure;
    publish("srv-3", "read_note", true);
    await until("srv-3 refused", () => store.status().reloads.failure > failuresBefore);
    assert.equal(store.status().revision, "srv-2");
    assert.match(store.status().last_error?.message ?? "", /rego_parse_error/);
    const ready = await rawRequest(`${gw.origin}/health/ready`);
    const policy = (ready.json as { policy: { revision: string; last_error: { message: string; source: string } } })
      .policy;
    assert.equal(policy.revision, "srv-2");
    assert.match(policy.last_error.message, /srv-3|rego_parse_error/);
    assert.match(policy.last_error.source, /^http:\/\/127\.0\.0\.1:\d+\/bundles\/portcullis\.tar\.gz$/);
    assert.equal(firstJson(await client.callTool({ name: "demo__read_note", arguments: { id: "1" } })).id, "1");
    assert.ok(
      requests.every((r) => r.status !== 401),
      "every request carried the bearer token",
    );
  });
});

describe("shadow mode", () => {
  const dir = tempDir("portcullis-shadow-");
  const shadowBundle = join(dir.path, "shadow");
  let demo: DemoHttpServer;
  let gw: TestGateway;
  let client: Client;

  before(async () => {
    writeFiles(shadowBundle, {
      ".manifest": JSON.stringify({ revision: "shadow-1" }),
      "policy.rego": `package portcullis

default decision := {"allow": true, "reasons": ["allowed by the test policy"]}

decision := {"allow": false, "reasons": ["the candidate forbids read_note"]} if input.tool.name == "read_note"
`,
    });
    demo = await demoHttp();
    gw = await startTestGateway(dir.path, {
      auth: "none",
      policy: { bundle: TEST_POLICY, shadow: { bundle: shadowBundle }, watch_debounce_ms: 20 },
      upstreams: [{ name: "demo", url: demo.url }],
    });
    client = (await connectClient(gw.url)).client;
  });
  after(async () => {
    await client?.close();
    await gw?.close();
    await demo?.close();
    dir.remove();
  });

  it("audits and counts differences without enforcing them, and reloads the candidate", {
    timeout: 30_000,
  }, async () => {
    const shadow = gw.gateway.shadow;
    assert.ok(shadow);
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes("demo__read_note"), "the enforced policy decides the list");
    assert.ok(!names.includes("demo__delete_note"));
    assert.equal(firstJson(await client.callTool({ name: "demo__read_note", arguments: { id: "1" } })).id, "1");
    await shadow.idle();
    const metrics = (await gw.gateway.metrics.render()).body;
    assert.match(metrics, /portcullis_shadow_differences_total\{phase="request"\} 1\n/);
    assert.match(metrics, /portcullis_shadow_differences_total\{phase="response"\} 1\n/);
    // tools/list: read_note (candidate hides it) and delete_note (candidate shows it).
    assert.match(metrics, /portcullis_shadow_differences_total\{phase="list"\} 2\n/);
    assert.match(metrics, /portcullis_policy_revision_info\{policy="shadow",revision="shadow-1"\} 1/);

    // The candidate is hot-reloaded: one that agrees with the enforced policy stops the differences.
    const staging = join(dir.path, "staging");
    writeFiles(staging, {
      ".manifest": JSON.stringify({ revision: "shadow-2" }),
      "policy.rego": readFileSync(join(REPO, TEST_POLICY, "policy.rego"), "utf8"),
    });
    renameSync(shadowBundle, join(dir.path, "old"));
    renameSync(staging, shadowBundle);
    rmSync(join(dir.path, "old"), { recursive: true });
    await until("shadow-2", () => shadow.store.status().revision === "shadow-2");
    const ready = await rawRequest(`${gw.origin}/health/ready`);
    assert.equal((ready.json as { policy: { shadow: { revision: string } } }).policy.shadow.revision, "shadow-2");
    assert.equal(firstJson(await client.callTool({ name: "demo__read_note", arguments: { id: "1" } })).id, "1");
    await client.listTools();
    await shadow.idle();
    const after = (await gw.gateway.metrics.render()).body;
    assert.match(after, /portcullis_shadow_differences_total\{phase="request"\} 1\n/);
    assert.match(after, /portcullis_shadow_differences_total\{phase="list"\} 2\n/);

    await client.close();
    await gw.close();
    const records = gw.auditRecords();
    const differences = records.filter((r) => r.event === "shadow decision differs");
    assert.equal(differences.length, 4);
    const call = records.find((r) => r.method === "tools/call" && r.event === undefined);
    const onRequest = differences.find((r) => r.phase === "request");
    assert.ok(call && onRequest);
    assert.equal(onRequest.decision_id, call.decision_id);
    assert.equal(onRequest.policy_revision, call.policy_revision);
    assert.equal(onRequest.shadow_revision, "shadow-1");
    assert.equal(onRequest.method, "tools/call");
    assert.equal(onRequest.server, "demo");
    assert.equal(onRequest.target, "demo__read_note");
    assert.equal(typeof onRequest.shadow_decision_id, "string");
    assert.notEqual(onRequest.shadow_decision_id, onRequest.decision_id);
    assert.deepEqual(onRequest.outcome, { allow: true, reasons: ["allowed by the test policy"] });
    assert.deepEqual(onRequest.shadow_outcome, { allow: false, reasons: ["the candidate forbids read_note"] });
    assert.equal(call.outcome, "allowed", "the candidate's deny was not enforced");
    const onList = differences.filter((r) => r.phase === "list").map((r) => r.target);
    assert.deepEqual(onList.sort(), ["demo__delete_note", "demo__read_note"]);
  });
});
