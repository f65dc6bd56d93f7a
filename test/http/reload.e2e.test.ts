/**
 * Hot reload under load (issue 5): SDK clients call tools through a real gateway without pause
 * while the watched bundle directory is replaced 100 times, alternating good bundles (each
 * revision allows a different tool and labels its decisions with its revision) and broken ones
 * (a syntax error, data that violates the bundle's schema). No call may fail or go missing, every
 * audited decision must be the one its revision gives, the request and response decisions of a
 * call must come from the same revision, and nothing may be decided by a broken bundle.
 */
import assert from "node:assert/strict";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import type { DemoHttpServer } from "../../src/demo/http.js";
import { connectClient, demoHttp, rawRequest, startTestGateway, type TestGateway, tempDir } from "./harness.js";

const SWAPS = 100;
const CLIENTS = 4;
/** The two tools the clients alternate between; even revisions allow the first, odd the second. */
const TOOLS = [
  { name: "demo__search_notes", arguments: { query: "a" } },
  { name: "demo__read_note", arguments: { id: "1" } },
] as const;

/** Files of good bundle number `n` (revision `good-n`). */
function goodBundle(n: number): Record<string, string> {
  const allowed = TOOLS[n % 2]?.name.replace("demo__", "");
  return {
    ".manifest": JSON.stringify({ revision: `good-${n}` }),
    "policy.rego": `package portcullis

decision := {"allow": allow, "reasons": ["good-${n}"], "labels": ["rev-good-${n}"]}

default allow := false

allow if input.phase != "request"

allow if input.tool.name == "${allowed}"
`,
    "schemas/limits.json": JSON.stringify({ type: "object", properties: { max: { type: "integer" } } }),
    "limits/data.json": JSON.stringify({ max: n }),
  };
}

/** Files of broken bundle number `n`: alternately a Rego syntax error and schema-violating data. */
function brokenBundle(n: number): Record<string, string> {
  const files = goodBundle(n);
  files[".manifest"] = JSON.stringify({ revision: `broken-${n}` });
  if (n % 4 === 1) files["policy.rego"] = `${files["policy.rego"]}\nallow if {\n`;
  else files["limits/data.json"] = JSON.stringify({ max: "not a number" });
  return files;
}

function writeBundle(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    const file = join(dir, name);
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, text);
  }
}

/** Replaces the bundle directory by rename, as a deploy tool would. */
function replaceBundle(root: string, bundle: string, files: Record<string, string>, n: number): void {
  const staging = join(root, `staging-${n}`);
  const trash = join(root, `old-${n}`);
  writeBundle(staging, files);
  renameSync(bundle, trash);
  renameSync(staging, bundle);
  rmSync(trash, { recursive: true, force: true });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("hot reload under load", () => {
  const dir = tempDir("portcullis-reload-");
  const bundle = join(dir.path, "bundle");
  let demo: DemoHttpServer;
  let gw: TestGateway;
  const clients: Client[] = [];

  before(async () => {
    writeBundle(bundle, goodBundle(0));
    demo = await demoHttp();
    gw = await startTestGateway(dir.path, {
      auth: "none",
      policy: { bundle, watch: true, watch_debounce_ms: 15 },
      upstreams: [{ name: "demo", url: demo.url }],
    });
    for (let i = 0; i < CLIENTS; i++) clients.push((await connectClient(gw.url, { name: `load-${i}` })).client);
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await gw?.close();
    await demo?.close();
    dir.remove();
  });

  it("serves every call, each decided wholly by the revision active at the time, through 100 swaps", {
    timeout: 60_000,
  }, async (t) => {
    const store = gw.gateway.policy;
    assert.equal(store.status().revision, "good-0");
    let running = true;
    const answered = { allowed: 0, denied: 0 };
    const failures: string[] = [];
    const loops = clients.map(async (client, c) => {
      for (let i = c; running; i++) {
        const tool = TOOLS[i % 2] as (typeof TOOLS)[number];
        try {
          const result = await client.callTool({ name: tool.name, arguments: { ...tool.arguments } });
          if (result.isError) failures.push(`${tool.name}: tool error ${JSON.stringify(result.content)}`);
          else answered.allowed++;
        } catch (e) {
          // A deny is an answer (the policy's); anything else is a failed call.
          if (e instanceof McpError && e.code === -32003 && /good-\d+/.test(e.message)) answered.denied++;
          else failures.push(`${tool.name}: ${String(e)}`);
        }
      }
    });

    const goodServed: string[] = [];
    for (let n = 1; n <= SWAPS; n++) {
      const before = store.status().reloads;
      const good = n % 2 === 0;
      replaceBundle(dir.path, bundle, good ? goodBundle(n) : brokenBundle(n), n);
      // Wait until the watcher has reloaded (successfully or not) before the next swap.
      const deadline = Date.now() + 5000;
      for (;;) {
        const now = store.status();
        if (good && now.revision === `good-${n}`) break;
        if (!good && now.reloads.failure > before.failure) break;
        assert.ok(Date.now() < deadline, `swap ${n}: no reload within 5 s (${JSON.stringify(now)})`);
        await sleep(5);
      }
      if (good) goodServed.push(`good-${n}`);
      else assert.match(store.status().revision, /^good-\d+$/, "a broken bundle never serves");
      await sleep(40); // let calls run on this revision
    }
    running = false;
    await Promise.all(loops);

    const status = store.status();
    assert.equal(status.revision, `good-${SWAPS}`);
    assert.ok(
      status.reloads.failure >= SWAPS / 2,
      `every broken bundle was refused: ${JSON.stringify(status.reloads)}`,
    );
    assert.match(status.last_error?.message ?? "", /broken-\d+|schema|rego_parse_error/);
    assert.deepEqual(failures, [], "no call failed");
    const calls = answered.allowed + answered.denied;
    assert.ok(calls > 200, `the clients kept calling (${calls} calls)`);
    assert.ok(answered.allowed > 0 && answered.denied > 0);

    const ready = await rawRequest(`${gw.origin}/health/ready`);
    const policy = (ready.json as { policy: { revision: string; last_error: { message: string } | null } }).policy;
    assert.equal(policy.revision, `good-${SWAPS}`);
    assert.ok(policy.last_error, "readiness shows the last load error");

    await Promise.all(clients.map((c) => c.close()));
    clients.length = 0;
    await gw.close();
    const records = gw.auditRecords().filter((r) => r.method === "tools/call");
    assert.equal(records.length, calls, "every call was audited once");
    const revisionsSeen = new Set<string>();
    for (const r of records) {
      const revision = r.policy_revision as string;
      const match = /^good-(\d+)$/.exec(revision);
      assert.ok(match, `decided by a good revision: ${revision}`);
      revisionsSeen.add(revision);
      const n = Number(match[1]);
      const expectedAllowed = TOOLS[n % 2]?.name === r.target;
      assert.equal(r.outcome, expectedAllowed ? "allowed" : "denied", `${r.target} under ${revision}`);
      // Request and (when allowed) response decisions both labelled by the call's one revision.
      const labels = r.labels as string[];
      assert.deepEqual(labels, expectedAllowed ? [`rev-${revision}`, `rev-${revision}`] : [`rev-${revision}`]);
      if (!expectedAllowed) assert.deepEqual(r.reasons, [revision]);
    }
    t.diagnostic(
      `${calls} calls (${answered.allowed} allowed, ${answered.denied} denied), ${revisionsSeen.size} revisions ` +
        `decided calls, reloads ${JSON.stringify(status.reloads)}`,
    );
    assert.ok(revisionsSeen.size >= 20, `decisions came from many revisions (${revisionsSeen.size})`);
    const metrics = await gw.gateway.metrics.render();
    assert.match(
      metrics.body,
      new RegExp(`portcullis_policy_revision_info\\{policy="active",revision="good-${SWAPS}"\\} 1`),
    );
    assert.match(metrics.body, /portcullis_policy_reloads_total\{policy="active",outcome="failure"\} \d+/);
    assert.doesNotMatch(metrics.body, /revision="good-0"/, "the previous revision's info is removed");
  });
});
