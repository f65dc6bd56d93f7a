/**
 * Polling an OPA bundle server: ETag / If-None-Match (304 = unchanged, no recompile), a new
 * bundle swapped in, a broken one or an error status refused while the last good one serves,
 * size and time limits, static headers, and the poller's delays and exponential backoff.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { create as createTar } from "tar";
import { HttpBundleSource, nextDelay, startPolling } from "../../src/bundle/http-source.js";
import { PolicyStore } from "../../src/engine/policy-store.js";
import { GatewayError } from "../../src/errors.js";
import { tempDir } from "../http/harness.js";

const silent = pino({ level: "silent" });

/** A .tar.gz of a bundle with `revision`; `broken` makes its policy fail to parse. */
function tarball(dir: string, revision: string, broken = false): Buffer {
  const src = join(dir, `src-${revision}`);
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, ".manifest"), JSON.stringify({ revision }));
  const body = broken ? "decision := {" : `decision := {"allow": true, "reasons": ["${revision}"]}`;
  writeFileSync(join(src, "policy.rego"), `package portcullis\n\n${body}\n`);
  const file = join(dir, `${revision}.tar.gz`);
  createTar({ gzip: true, file, cwd: src, sync: true, portable: true }, [".manifest", "policy.rego"]);
  return readFileSync(file);
}

/** What the test bundle server answers next. */
interface Answer {
  status: number;
  body?: Buffer;
  etag?: string;
  /** Never answer (for timeouts). */
  hang?: boolean;
}

describe("HttpBundleSource", () => {
  const tmp = tempDir("portcullis-http-bundle-");
  let server: Server;
  let url: string;
  let answer: Answer = { status: 500 };
  const seen: IncomingHttpHeaders[] = [];

  before(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers);
      if (answer.hang) return;
      if (answer.etag !== undefined && req.headers["if-none-match"] === answer.etag) {
        res.writeHead(304, { etag: answer.etag }).end();
        return;
      }
      res.writeHead(answer.status, {
        "content-type": "application/gzip",
        ...(answer.etag === undefined ? {} : { etag: answer.etag }),
      });
      res.end(answer.body ?? "");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://user:pw@127.0.0.1:${(server.address() as AddressInfo).port}/bundles/portcullis.tar.gz?key=secret`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    tmp.remove();
  });

  it("uses ETags as OPA does, swaps in new bundles and refuses broken ones", async () => {
    const source = new HttpBundleSource({
      url,
      headers: { Authorization: "Bearer t0ken" },
      timeoutMs: 2000,
      maxBytes: 1024 * 1024,
    });
    const store = new PolicyStore({
      entrypoint: "portcullis/decision",
      timeoutMs: 1000,
      source: url,
      load: source.load,
      logger: silent,
    });
    answer = { status: 200, body: tarball(tmp.path, "v1"), etag: '"v1"' };
    seen.length = 0;
    await store.start();
    assert.equal(store.decider().revision, "v1");
    assert.equal(seen[0]?.authorization, "Bearer t0ken");
    assert.equal(seen[0]?.["if-none-match"], undefined);

    assert.deepEqual(await store.reload(), { outcome: "unchanged", revision: "v1" });
    assert.equal(seen[1]?.["if-none-match"], '"v1"');
    assert.equal(source.stats.notModified, 1);

    answer = { status: 200, body: tarball(tmp.path, "v2"), etag: '"v2"' };
    assert.deepEqual(await store.reload(), { outcome: "success", revision: "v2" });

    answer = { status: 200, body: tarball(tmp.path, "v3", true), etag: '"v3"' };
    const broken = await store.reload();
    assert.equal(broken.outcome, "failure");
    assert.match(broken.error ?? "", /PORTCULLIS_POLICY_INVALID: .*rego_parse_error/);
    assert.equal(store.decider().revision, "v2");
    // Parsed but not compiled: the next poll sends v3's ETag and fails the same way, still on v2.
    assert.equal((await store.reload()).outcome, "failure");

    answer = { status: 200, body: Buffer.from("not gzip"), etag: '"junk"' };
    const junk = await store.reload();
    assert.equal(junk.outcome, "failure");
    assert.match(junk.error ?? "", /PORTCULLIS_BUNDLE_INVALID: .*not a gzip file/);
    assert.doesNotMatch(junk.error ?? "", /secret|pw@|portcullis-bundle-/, "no credentials or temp paths in errors");
    // A download that did not read leaves the ETag of the last one that did (v3).
    answer = { status: 500 };
    const down = await store.reload();
    assert.match(
      down.error ?? "",
      /^PORTCULLIS_BUNDLE_UNAVAILABLE: http:\/\/127\.0\.0\.1:\d+\/bundles\/portcullis\.tar\.gz: answered HTTP 500$/,
    );
    assert.equal(seen.at(-1)?.["if-none-match"], '"v3"');
    assert.equal(store.decider().revision, "v2");
    assert.deepEqual(store.status().reloads, { success: 2, failure: 4, unchanged: 1 });
  });

  it("refuses a download over the size limit and one that takes too long", async () => {
    const small = new HttpBundleSource({ url, timeoutMs: 2000, maxBytes: 1024 });
    answer = { status: 200, body: Buffer.alloc(4096, 1) };
    await assert.rejects(
      small.load(),
      (e: unknown) =>
        e instanceof GatewayError &&
        e.code === "PORTCULLIS_BUNDLE_UNAVAILABLE" &&
        /larger than 1024 bytes/.test(e.message),
    );
    const slow = new HttpBundleSource({ url, timeoutMs: 200, maxBytes: 1024 * 1024 });
    answer = { status: 200, hang: true };
    const started = Date.now();
    await assert.rejects(
      slow.load(),
      (e: unknown) => e instanceof GatewayError && /no complete answer within 200 ms/.test(e.message),
    );
    assert.ok(Date.now() - started < 2000);
    answer = { status: 500 };
  });
});

describe("polling", () => {
  it("waits a random delay between min and max, and backs off exponentially on errors (capped)", () => {
    const base = { minDelayMs: 60_000, maxDelayMs: 120_000, poll: async () => true };
    assert.equal(nextDelay({ ...base, random: () => 0 }, 0), 60_000);
    assert.equal(nextDelay({ ...base, random: () => 1 }, 0), 120_000);
    const mid = { ...base, random: () => 0.5 };
    assert.deepEqual(
      [1, 2, 3, 4, 8, 20].map((f) => nextDelay(mid, f)),
      [500, 1000, 2000, 4000, 64_000, 120_000],
    );
  });

  it("polls until stopped and resets the backoff after a success", { timeout: 10_000 }, async () => {
    const outcomes = [false, false, false, true, true];
    const delays: Array<[number, number]> = [];
    let polls = 0;
    // The poller's timers are unref'd (a gateway's server keeps the process alive); this test's is not.
    const keepAlive = setInterval(() => {}, 1000);
    await new Promise<void>((resolve) => {
      const poller = startPolling({
        minDelayMs: 5,
        maxDelayMs: 5,
        backoffBaseMs: 10,
        random: () => 0.5,
        poll: async () => {
          const ok = outcomes[polls++] ?? true;
          if (polls === outcomes.length) {
            poller.stop();
            resolve();
          }
          return ok;
        },
        onSchedule: (delay, failures) => delays.push([delay, failures]),
      });
    });
    // The first delay is a normal one; errors cap at maxDelayMs here (5 ms), then a success resets.
    assert.deepEqual(
      delays.map(([, f]) => f),
      [0, 1, 2, 3, 0],
    );
    clearInterval(keepAlive);
    assert.equal(polls, 5);
  });
});
