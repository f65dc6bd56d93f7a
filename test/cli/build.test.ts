/**
 * `portcullis build` and the signature side of `portcullis inspect`, through the real command line:
 * build -> inspect -> load as the gateway does, reproducible output, a broken policy refused with
 * file:row:col, and signature status (none / not verified / verified / refused).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { verificationFromConfig } from "../../src/bundle/keys.js";
import { loadBundleVerified } from "../../src/bundle/load.js";
import { verificationSchema } from "../../src/config/verification.js";
import { Decider } from "../../src/engine/decider.js";
import { tempDir } from "../http/harness.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function portcullis(args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, PORTCULLIS_DEBUG: "", ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("portcullis build", () => {
  const tmp = tempDir("portcullis-build-");
  after(() => tmp.remove());
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const privateKey = join(tmp.path, "private.pem");
  const publicKey = join(tmp.path, "public.pem");
  writeFileSync(privateKey, keys.privateKey.export({ type: "pkcs1", format: "pem" }));
  writeFileSync(publicKey, keys.publicKey.export({ type: "spki", format: "pem" }));

  it("builds the example policy, signed, and the gateway loads and verifies it", async () => {
    const out = join(tmp.path, "example.tar.gz");
    const built = portcullis([
      "build",
      "policies/example",
      "-o",
      out,
      "--revision",
      "2026.11.24-1",
      "--signing-key",
      privateKey,
      "--scope",
      "prod",
    ]);
    assert.equal(built.stderr, "");
    assert.equal(built.code, 0);
    assert.equal(
      built.stdout,
      `${out}: revision 2026.11.24-1, 6 files, signed with RS256 key "default" (scope "prod")\n`,
    );

    const plain = portcullis(["inspect", "--format", "json", out]);
    assert.equal(plain.code, 0, plain.stderr);
    const inspection = JSON.parse(plain.stdout) as {
      revision: string;
      signatures: string;
      signature: { status: string };
      files: Array<{ name: string }>;
    };
    assert.equal(inspection.revision, "2026.11.24-1");
    assert.equal(inspection.signatures, "present, not verified (no keys given)");
    assert.deepEqual(
      inspection.files.map((f) => f.name),
      [".manifest", ".signatures.json", "data.json", "policy.rego", "schemas/groups.json", "schemas/sso_groups.json"],
    );

    const verified = portcullis(["inspect", "--verification-key", publicKey, "--scope", "prod", out]);
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /\nsignatures: verified \(key "default", scope "prod"\)\n/);

    const wrongScope = portcullis(["inspect", "--verification-key", publicKey, out]);
    assert.equal(wrongScope.code, 1);
    assert.match(
      wrongScope.stderr,
      /^PORTCULLIS_BUNDLE_SIGNATURE_INVALID: .*scope mismatch: the signature has scope "prod", expected none\n$/,
    );

    // The gateway's way: keys from configuration, then the verified bundle compiled into a decider.
    const verification = verificationFromConfig(
      verificationSchema.parse({ keys: { default: { key_file: publicKey } }, scope: "prod" }),
    );
    const bundle = await loadBundleVerified(out, { ...(verification ? { verification } : {}) });
    assert.deepEqual(bundle.signature, { verified: true, keyId: "default", scope: "prod" });
    const decider = new Decider(bundle, { entrypoint: "portcullis/decision", timeoutMs: 1000 });
    const decision = decider.decide({ method: "tools/list", user: { sub: "nobody", groups: [] } });
    assert.equal(decision.revision, "2026.11.24-1");
    assert.equal(typeof decision.allow, "boolean");
  });

  it("writes the same bytes for the same input (unsigned and RS256-signed)", () => {
    const a = join(tmp.path, "a.tar.gz");
    const b = join(tmp.path, "b.tar.gz");
    // A copy of the source: paths and timestamps of the input must not leak into the archive.
    const copy = join(tmp.path, "example-copy");
    cpSync(join(ROOT, "policies/example"), copy, { recursive: true });
    const first = portcullis(["build", "policies/example", "-o", a]);
    assert.equal(first.code, 0);
    // Without a manifest the revision is the contents' digest: build reports what the gateway will show.
    const revision = /revision (sha256:[0-9a-f]{16}), 4 files, unsigned\n$/.exec(first.stdout)?.[1];
    assert.ok(revision, first.stdout);
    assert.match(portcullis(["inspect", a]).stdout, new RegExp(`\nrevision: +${revision}\n`));
    assert.equal(portcullis(["build", copy, "-o", b]).code, 0);
    assert.deepEqual(readFileSync(a), readFileSync(b));
    assert.equal(portcullis(["build", "policies/example", "-o", a, "--signing-key", privateKey]).code, 0);
    assert.equal(portcullis(["build", copy, "-o", b, "--signing-key", privateKey]).code, 0);
    assert.deepEqual(readFileSync(a), readFileSync(b));
  });

  it("signs with an HS256 secret from the environment", () => {
    const out = join(tmp.path, "hs.tar.gz");
    const env = { BUNDLE_SECRET: "correct horse battery staple" };
    const built = portcullis(
      [
        "build",
        "policies/allow-all",
        "-o",
        out,
        "--signing-key-env",
        "BUNDLE_SECRET",
        "--signing-alg",
        "HS256",
        "--key-id",
        "ci",
      ],
      env,
    );
    assert.equal(built.code, 0, built.stderr);
    const inspected = portcullis(
      ["inspect", "--verification-key-env", "BUNDLE_SECRET", "--verification-alg", "HS256", "--key-id", "ci", out],
      env,
    );
    assert.equal(inspected.code, 0, inspected.stderr);
    assert.match(inspected.stdout, /\nsignatures: verified \(key "ci"\)\n/);
    const wrong = portcullis(
      ["inspect", "--verification-key-env", "BUNDLE_SECRET", "--verification-alg", "HS256", "--key-id", "ci", out],
      { BUNDLE_SECRET: "wrong" },
    );
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /the signature does not verify with key "ci"/);
  });

  it("refuses a broken policy with file:row:col and writes nothing", () => {
    const out = join(tmp.path, "broken.tar.gz");
    const run = portcullis(["build", "test/cli/fixtures/broken", "-o", out]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^test\/cli\/fixtures\/broken\/syntax\.rego:\d+:\d+: rego_parse_error: /m);
    assert.doesNotMatch(run.stderr, /\n\s+at .+:\d+:\d+\)?\n/);
    assert.throws(() => readFileSync(out), /ENOENT/);
  });

  it("explains bad command lines", () => {
    const noDir = portcullis(["build"]);
    assert.equal(noDir.code, 2);
    assert.match(noDir.stderr, /build needs exactly one bundle directory/);
    const algWithoutKey = portcullis(["build", "policies/example", "--signing-alg", "ES256"]);
    assert.equal(algWithoutKey.code, 2);
    assert.match(algWithoutKey.stderr, /--signing-alg needs --signing-key or --signing-key-env/);
    const mismatch = portcullis([
      "build",
      "policies/example",
      "--signing-key",
      privateKey,
      "--signing-alg",
      "ES256",
      "-o",
      join(tmp.path, "x.tar.gz"),
    ]);
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.stderr, /--signing-key .*private\.pem: ES256 needs an EC key/);
  });
});
