/**
 * PolicyStore: a new bundle is compiled before it is swapped in, a failed load or compile keeps
 * the last good policy (with lastError and counts), reloads run one at a time and coalesce,
 * runtime data is merged into every bundle and refused where the bundle owns the path.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pino from "pino";
import type { Bundle } from "../../src/bundle/load.js";
import { type BundleLoader, PolicyStore, type ReloadOutcome } from "../../src/engine/policy-store.js";
import { GatewayError } from "../../src/errors.js";

const silent = pino({ level: "silent" });

/** A bundle whose decision names its revision and denies users listed in data.runtime.revoked. */
function bundle(revision: string, extra: Partial<Pick<Bundle, "roots" | "modules" | "data">> = {}): Bundle {
  return {
    source: `mem:${revision}`,
    revision,
    signed: false,
    signature: { verified: false },
    roots: [""],
    metadata: {},
    modules: {
      "policy.rego": `package portcullis

decision := {"allow": allow, "reasons": ["${revision}"], "labels": ["rev-${revision}"]}

default allow := false

allow if not revoked

revoked if {
	some u in data.runtime.revoked
	u == input.user
}
`,
    },
    data: {},
    ...extra,
  };
}

const BROKEN: Bundle = { ...bundle("broken"), modules: { "policy.rego": "package portcullis\n\ndecision := {" } };

/** A loader serving a queue of results (a Bundle or an Error); the last one repeats. */
function queueLoader(items: Array<Bundle | Error>): BundleLoader & { calls: number } {
  const loader = Object.assign(
    async () => {
      const item = items.length > 1 ? items.shift() : items[0];
      loader.calls++;
      if (item instanceof Error) throw item;
      return item as Bundle;
    },
    { calls: 0 },
  );
  return loader;
}

function store(load: BundleLoader, outcomes: ReloadOutcome[] = []): PolicyStore {
  return new PolicyStore({
    entrypoint: "portcullis/decision",
    timeoutMs: 1000,
    source: "test-bundle",
    load,
    logger: silent,
    observer: { reloaded: (o) => outcomes.push(o) },
  });
}

describe("PolicyStore", () => {
  it("loads, swaps atomically and lets a held snapshot finish on its revision", async () => {
    const s = store(queueLoader([bundle("r1"), bundle("r2")]));
    await s.start();
    const held = s.decider();
    assert.equal(held.decide({ user: "a" }).reasons[0], "r1");
    const result = await s.reload();
    assert.deepEqual(result, { outcome: "success", revision: "r2" });
    assert.equal(s.decider().decide({ user: "a" }).revision, "r2");
    assert.deepEqual(s.decider().decide({ user: "a" }).labels, ["rev-r2"]);
    // A call that took the old Decider keeps deciding with it.
    const old = held.decide({ user: "a" });
    assert.equal(old.revision, "r1");
    assert.deepEqual(old.reasons, ["r1"]);
  });

  it("keeps the last good policy when a load or a compile fails, and says why", async () => {
    const outcomes: ReloadOutcome[] = [];
    const loadError = new GatewayError("PORTCULLIS_BUNDLE_INVALID", "bundle.tar.gz: not a gzip file");
    const s = store(queueLoader([bundle("r1"), loadError, BROKEN, bundle("r3")]), outcomes);
    await s.start();

    const failedLoad = await s.reload();
    assert.equal(failedLoad.outcome, "failure");
    assert.equal(failedLoad.revision, "r1");
    assert.equal(s.decider().revision, "r1");
    const afterLoad = s.status();
    assert.equal(afterLoad.last_error?.message, "PORTCULLIS_BUNDLE_INVALID: bundle.tar.gz: not a gzip file");
    assert.equal(afterLoad.last_error?.source, "test-bundle");
    assert.ok(!Number.isNaN(Date.parse(afterLoad.last_error?.time ?? "")));

    const failedCompile = await s.reload();
    assert.equal(failedCompile.outcome, "failure");
    assert.match(
      failedCompile.error ?? "",
      /^PORTCULLIS_POLICY_INVALID: mem:broken: policy.rego:\d+:\d+: rego_parse_error/,
    );
    assert.equal(s.decider().revision, "r1");
    assert.equal(s.decider().decide({ user: "a" }).allow, true);

    assert.equal((await s.reload()).revision, "r3");
    const status = s.status();
    assert.equal(status.revision, "r3");
    assert.equal(status.loaded, true);
    assert.equal(status.entrypoint, "portcullis/decision");
    assert.deepEqual(status.reloads, { success: 2, failure: 2, unchanged: 0 });
    // The last error stays visible after a later success (with its time), so operators can see it.
    assert.match(status.last_error?.message ?? "", /rego_parse_error/);
    assert.ok((status.last_success ?? "") >= (status.last_error?.time ?? ""));
    assert.deepEqual(outcomes, ["success", "failure", "failure", "success"]);
  });

  it("refuses to start without a good first bundle", async () => {
    const s = store(queueLoader([BROKEN]));
    await assert.rejects(
      s.start(),
      (e: unknown) => e instanceof GatewayError && e.code === "PORTCULLIS_POLICY_INVALID",
    );
    assert.equal(s.status().loaded, false);
    assert.throws(() => s.decider(), /no policy is loaded/);
  });

  it("reports the same bundle object again as unchanged", async () => {
    const same = bundle("r1");
    const s = store(queueLoader([same]));
    await s.start();
    const held = s.decider();
    assert.deepEqual(await s.reload(), { outcome: "unchanged", revision: "r1" });
    assert.equal(s.decider(), held, "no recompile for an unchanged bundle");
    assert.deepEqual(s.status().reloads, { success: 1, failure: 0, unchanged: 1 });
  });

  it("runs one reload at a time and coalesces triggers queued behind it", async () => {
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    const releases: Array<() => void> = [];
    const load: BundleLoader = async () => {
      calls++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((r) => releases.push(r));
      running--;
      return bundle(`r${calls}`);
    };
    const s = store(load);
    const first = s.start();
    await new Promise((r) => setImmediate(r));
    assert.equal(calls, 1);
    // Five triggers while the first load runs: one follow-up reload.
    const queued = [s.reload(), s.reload(), s.reload(), s.reload(), s.reload()];
    releases.shift()?.();
    await first;
    await new Promise((r) => setImmediate(r));
    assert.equal(calls, 2);
    releases.shift()?.();
    const results = await Promise.all(queued);
    assert.equal(calls, 2);
    assert.equal(maxRunning, 1);
    assert.ok(results.every((r) => r.outcome === "success" && r.revision === "r2"));
    assert.equal(s.decider().revision, "r2");
  });

  it("merges runtime data into every bundle and re-applies it after a reload", async () => {
    const s = store(queueLoader([bundle("r1"), bundle("r2")]));
    await s.start();
    assert.equal(s.decider().decide({ user: "mallory" }).allow, true);
    await s.setRuntimeData("runtime/revoked", ["mallory"]);
    assert.equal(s.decider().decide({ user: "mallory" }).allow, false);
    assert.equal(s.decider().decide({ user: "alice" }).allow, true);
    assert.equal(s.decider().revision, "r1");
    await s.reload();
    assert.equal(s.decider().revision, "r2");
    assert.equal(s.decider().decide({ user: "mallory" }).allow, false, "runtime data survives a reload");
    await s.setRuntimeData("data.runtime.revoked", []);
    assert.equal(s.decider().decide({ user: "mallory" }).allow, true);
  });

  it("refuses runtime data on a path the bundle owns, and a new bundle that claims it", async () => {
    const owning = bundle("owns", { roots: ["runtime"] });
    const withData = bundle("data", { data: { runtime: { revoked: ["x"] } } });
    const s = store(queueLoader([bundle("r1"), owning, withData, bundle("r4")]));
    await s.start();
    await assert.rejects(s.setRuntimeData("portcullis/x", 1), /package portcullis/);
    await assert.rejects(s.setRuntimeData("bad path!", 1), /not a data path/);
    await s.setRuntimeData("runtime/revoked", ["mallory"]);

    const claimed = await s.reload();
    assert.equal(claimed.outcome, "failure");
    assert.match(
      claimed.error ?? "",
      /PORTCULLIS_RUNTIME_DATA_CONFLICT: .*manifest root "runtime" owns runtime\/revoked/,
    );
    const defined = await s.reload();
    assert.equal(defined.outcome, "failure");
    assert.match(defined.error ?? "", /the bundle defines data at runtime\/revoked/);
    assert.equal(s.decider().revision, "r1");
    assert.equal((await s.reload()).revision, "r4");
    assert.equal(s.decider().decide({ user: "mallory" }).allow, false);
  });

  it("refuses a root under a package's path and leaves the serving policy alone", async () => {
    const withOther = bundle("r1", {
      modules: { ...bundle("r1").modules, "extra.rego": "package other.flags\n\nflag := true\n" },
    });
    const s = store(queueLoader([withOther]));
    await s.start();
    await s.setRuntimeData("runtime/revoked", ["mallory"]);
    const held = s.decider();
    await assert.rejects(
      s.setRuntimeData("other", { flags: {} }),
      (e: unknown) =>
        e instanceof GatewayError &&
        e.code === "PORTCULLIS_RUNTIME_DATA_CONFLICT" &&
        e.message === "data.other: package other.flags in extra.rego overlaps other",
    );
    assert.equal(s.decider(), held);
    assert.equal(s.decider().decide({ user: "mallory" }).allow, false);
  });
});
