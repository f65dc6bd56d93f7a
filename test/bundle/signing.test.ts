/**
 * Bundle signatures as OPA makes and checks them: build-then-verify round trips for every algorithm
 * family, each refusal (no/extra/missing/altered file, bad signature, wrong key, kid, algorithm or
 * scope, several signatures), OPA's canonical hashing of structured files, `exclude_files`, and
 * verification keys from configuration. Keys are generated at test time.
 */
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { create as createTar } from "tar";
import { buildBundle } from "../../src/bundle/build.js";
import { canonicalJson, globMatcher, hashBundleFile } from "../../src/bundle/hash.js";
import {
  type AlgorithmKey,
  type BundleVerification,
  importSigningKey,
  importVerificationKey,
  type SigningAlgorithm,
  verificationFromConfig,
} from "../../src/bundle/keys.js";
import { loadBundle, loadBundleVerified } from "../../src/bundle/load.js";
import { signBundleFiles } from "../../src/bundle/signing.js";
import { parseConfig } from "../../src/config/load.js";
import { verificationSchema } from "../../src/config/verification.js";
import { GatewayError } from "../../src/errors.js";
import { tempDir } from "../http/harness.js";

const SOURCE = {
  "policy.rego": 'package portcullis\n\ndecision := {"allow": data.teams.open}\n',
  "lib/helpers.rego": "package portcullis.lib\n\nok := true\n",
  "teams/data.json": '{"open": true, "members": ["alice", "bob"], "limit": 1.50}',
  "teams/oncall/data.yaml": "primary: bob\nbackup: carol\n",
  ".manifest": JSON.stringify({ revision: "rev-1", roots: ["portcullis", "teams"] }),
};

interface KeyPair {
  signing: AlgorithmKey;
  verifying: AlgorithmKey;
  publicPem: string;
  privatePem: string;
}

function pem(key: KeyObject, kind: "public" | "private"): string {
  return kind === "public"
    ? (key.export({ type: "spki", format: "pem" }) as string)
    : (key.export({ type: "pkcs8", format: "pem" }) as string);
}

/** A fresh key pair (or secret) for `algorithm`. */
function keyPair(algorithm: SigningAlgorithm): KeyPair {
  if (algorithm.startsWith("HS")) {
    const secret = `secret-${Math.random()}-0123456789abcdef0123456789abcdef`;
    const key = importSigningKey(algorithm, Buffer.from(secret), "test");
    return { signing: key, verifying: key, publicPem: secret, privatePem: secret };
  }
  const pair =
    algorithm.startsWith("RS") || algorithm.startsWith("PS")
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : algorithm === "EdDSA"
        ? generateKeyPairSync("ed25519")
        : generateKeyPairSync("ec", {
            namedCurve: { ES256: "P-256", ES384: "P-384", ES512: "P-521" }[algorithm as "ES256"],
          });
  const publicPem = pem(pair.publicKey, "public");
  const privatePem = pem(pair.privateKey, "private");
  return {
    signing: importSigningKey(algorithm, Buffer.from(privatePem), "test"),
    verifying: importVerificationKey(algorithm, Buffer.from(publicPem), "test"),
    publicPem,
    privatePem,
  };
}

function verifier(keys: Record<string, AlgorithmKey & { scope?: string }>, extra: Partial<BundleVerification> = {}) {
  return { keys: new Map(Object.entries(keys)), excludeFiles: [], ...extra } satisfies BundleVerification;
}

/** The signature error `action` rejects with. */
async function signatureError(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (e) {
    assert.ok(e instanceof GatewayError, `expected a GatewayError, got ${String(e)}`);
    assert.equal(e.code, "PORTCULLIS_BUNDLE_SIGNATURE_INVALID", e.message);
    return e.message;
  }
  assert.fail("expected the bundle to be refused");
}

describe("bundle signatures", () => {
  const tmp = tempDir("portcullis-signing-");
  after(() => tmp.remove());
  let seq = 0;
  const rsa = keyPair("RS256");

  function writeDir(files: Record<string, string | Buffer>): string {
    const root = join(tmp.path, `dir-${++seq}`);
    mkdirSync(root, { recursive: true });
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    return root;
  }

  /** A directory bundle holding SOURCE plus `.signatures.json` made by `signer` over SOURCE (plus `signedExtra`). */
  async function signedDir(
    signer: Parameters<typeof signBundleFiles>[1] = { ...rsa.signing, keyId: "default" },
    signedExtra: Record<string, string> = {},
  ): Promise<string> {
    const files = new Map(Object.entries({ ...SOURCE, ...signedExtra }).map(([k, v]) => [k, Buffer.from(v)]));
    return writeDir({ ...SOURCE, ...signedExtra, ".signatures.json": await signBundleFiles(files, signer) });
  }

  /** The decoded JWS of a bundle directory's signatures file. */
  function token(dir: string): { header: Record<string, unknown>; payload: Record<string, unknown>; parts: string[] } {
    const { signatures } = JSON.parse(readFileSync(join(dir, ".signatures.json"), "utf8")) as { signatures: string[] };
    const parts = (signatures[0] as string).split(".");
    const decode = (s: string) => JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as Record<string, unknown>;
    return { header: decode(parts[0] as string), payload: decode(parts[1] as string), parts };
  }

  for (const algorithm of ["RS256", "RS512", "PS256", "ES256", "ES384", "HS256", "HS512", "EdDSA"] as const) {
    it(`builds and verifies a ${algorithm} bundle`, async () => {
      const keys = algorithm === "RS256" ? rsa : keyPair(algorithm);
      const built = await buildBundle(writeDir(SOURCE), {
        revision: `rev-${algorithm}`,
        signing: { ...keys.signing, keyId: `k-${algorithm}`, scope: "prod" },
      });
      const archive = join(tmp.path, `${algorithm}.tar.gz`);
      writeFileSync(archive, built.archive);
      const bundle = await loadBundleVerified(archive, {
        verification: verifier({ [`k-${algorithm}`]: keys.verifying }, { scope: "prod" }),
      });
      assert.equal(bundle.revision, `rev-${algorithm}`);
      assert.equal(bundle.signed, true);
      assert.deepEqual(bundle.signature, { verified: true, keyId: `k-${algorithm}`, scope: "prod" });
      assert.deepEqual(Object.keys(bundle.modules).sort(), ["lib/helpers.rego", "policy.rego"]);
      assert.deepEqual(bundle.data, {
        teams: { open: true, members: ["alice", "bob"], limit: 1.5, oncall: { primary: "bob", backup: "carol" } },
      });
    });
  }

  it("writes OPA's payload: every file with its SHA-256, keyid and scope claims, kid and alg in the header", async () => {
    const dir = await signedDir({ ...rsa.signing, keyId: "ci", scope: "write" });
    const { header, payload } = token(dir);
    assert.deepEqual(header, { alg: "RS256", kid: "ci" });
    assert.equal(payload.keyid, "ci");
    assert.equal(payload.scope, "write");
    const files = payload.files as Array<{ name: string; hash: string; algorithm: string }>;
    assert.deepEqual(
      files.map((f) => f.name),
      [".manifest", "lib/helpers.rego", "policy.rego", "teams/data.json", "teams/oncall/data.yaml"],
    );
    assert.ok(files.every((f) => f.algorithm === "SHA-256"));
    const policy = files.find((f) => f.name === "policy.rego");
    assert.equal(policy?.hash, createHash("sha256").update(SOURCE["policy.rego"]).digest("hex"));
    const data = files.find((f) => f.name === "teams/data.json");
    assert.equal(
      data?.hash,
      createHash("sha256").update('{"limit":1.50,"members":["alice","bob"],"open":true}').digest("hex"),
    );
  });

  it("verifies a directory bundle whose data files were re-indented and re-ordered", async () => {
    const dir = await signedDir();
    writeFileSync(
      join(dir, "teams/data.json"),
      '{\n  "members": [ "alice", "bob" ],\n  "limit": 1.50,\n  "open": true\n}\n',
    );
    writeFileSync(join(dir, "teams/oncall/data.yaml"), "# who is on call\nbackup:   carol\nprimary: bob\n");
    writeFileSync(
      join(dir, ".manifest"),
      JSON.stringify({ roots: ["portcullis", "teams"], revision: "rev-1" }, null, 4),
    );
    const bundle = await loadBundleVerified(dir, { verification: verifier({ default: rsa.verifying }) });
    assert.equal(bundle.signature.verified, true);
    assert.equal(bundle.signature.keyId, "default");
  });

  it("loads a signed bundle without keys as signed but not verified", async () => {
    const dir = await signedDir();
    const bundle = await loadBundleVerified(dir);
    assert.equal(bundle.signed, true);
    assert.deepEqual(bundle.signature, { verified: false });
    assert.deepEqual(loadBundle(dir).signature, { verified: false });
    assert.equal((await loadBundleVerified(writeDir(SOURCE))).signed, false);
  });

  const refusals: Array<{ name: string; change: (dir: string) => Promise<void> | void; error: RegExp }> = [
    {
      name: "a file added to the bundle",
      change: (dir) => writeFileSync(join(dir, "extra.rego"), "package portcullis.extra\n\nx := 1\n"),
      error: /extra\.rego: not covered by the signature/,
    },
    {
      name: "a file the gateway ignores, added to the bundle",
      change: (dir) => writeFileSync(join(dir, "README.md"), "hello\n"),
      error: /README\.md: not covered by the signature/,
    },
    {
      name: "a listed file missing",
      change: (dir) => rmSync(join(dir, "lib/helpers.rego")),
      error: /listed in the signature but missing from the bundle: lib\/helpers\.rego/,
    },
    {
      name: "an altered policy",
      change: (dir) => writeFileSync(join(dir, "policy.rego"), 'package portcullis\n\ndecision := {"allow": true}\n'),
      error: /policy\.rego: digest mismatch/,
    },
    {
      name: "an altered data value",
      change: (dir) =>
        writeFileSync(
          join(dir, "teams/data.json"),
          '{"open": true, "members": ["alice", "bob", "eve"], "limit": 1.50}',
        ),
      error: /teams\/data\.json: digest mismatch/,
    },
    {
      name: "a number rewritten (1.50 to 1.5: OPA hashes number literals as written)",
      change: (dir) =>
        writeFileSync(join(dir, "teams/data.json"), '{"open": true, "members": ["alice", "bob"], "limit": 1.5}'),
      error: /teams\/data\.json: digest mismatch/,
    },
    {
      name: "a missing .signatures.json",
      change: (dir) => rmSync(join(dir, ".signatures.json")),
      error: /has no \.signatures\.json, but signature verification is configured/,
    },
    {
      name: "a signature whose bytes were altered",
      change: (dir) => {
        const { parts } = token(dir);
        const signature = Buffer.from(parts[2] as string, "base64url");
        signature[10] = (signature[10] as number) ^ 0xff;
        const altered = [parts[0], parts[1], signature.toString("base64url")].join(".");
        writeFileSync(join(dir, ".signatures.json"), JSON.stringify({ signatures: [altered] }));
      },
      error: /the signature does not verify with key "default"/,
    },
    {
      name: "a payload rewritten to match an altered file",
      change: (dir) => {
        const { parts, payload } = token(dir);
        const text = 'package portcullis\n\ndecision := {"allow": true}\n';
        writeFileSync(join(dir, "policy.rego"), text);
        for (const f of payload.files as Array<{ name: string; hash: string }>) {
          if (f.name === "policy.rego") f.hash = createHash("sha256").update(text).digest("hex");
        }
        const forged = [parts[0], Buffer.from(JSON.stringify(payload)).toString("base64url"), parts[2]].join(".");
        writeFileSync(join(dir, ".signatures.json"), JSON.stringify({ signatures: [forged] }));
      },
      error: /the signature does not verify with key "default"/,
    },
    {
      name: "two signatures",
      change: (dir) => {
        const one = token(dir).parts.join(".");
        writeFileSync(join(dir, ".signatures.json"), JSON.stringify({ signatures: [one, one] }));
      },
      error: /2 signatures \(expected exactly one, as OPA\)/,
    },
    {
      name: "no signature in the list",
      change: (dir) => writeFileSync(join(dir, ".signatures.json"), JSON.stringify({ signatures: [] })),
      error: /no signature \(expected exactly one\)/,
    },
    {
      name: "a malformed signatures file",
      change: (dir) => writeFileSync(join(dir, ".signatures.json"), "not json"),
      error: /not a JSON object with a "signatures" list/,
    },
  ];
  for (const refusal of refusals) {
    it(`refuses ${refusal.name}`, async () => {
      const dir = await signedDir();
      await refusal.change(dir);
      const message = await signatureError(() =>
        loadBundleVerified(dir, { verification: verifier({ default: rsa.verifying }) }),
      );
      assert.match(message, refusal.error);
      assert.ok(message.startsWith(`${dir}: `), message);
    });
  }

  it("refuses a tarball with an altered file", async () => {
    const dir = await signedDir();
    writeFileSync(join(dir, "policy.rego"), 'package portcullis\n\ndecision := {"allow": true}\n');
    const archive = join(tmp.path, "tampered.tar.gz");
    createTar({ gzip: true, file: archive, cwd: dir, sync: true, portable: true }, [
      ".manifest",
      ".signatures.json",
      "policy.rego",
      "lib/helpers.rego",
      "teams",
    ]);
    const message = await signatureError(() =>
      loadBundleVerified(archive, { verification: verifier({ default: rsa.verifying }) }),
    );
    assert.match(message, /policy\.rego: digest mismatch/);
  });

  it("refuses the wrong key, an unknown kid, the wrong algorithm and a bundle without kid", async () => {
    const dir = await signedDir();
    const other = keyPair("RS256");
    assert.match(
      await signatureError(() => loadBundleVerified(dir, { verification: verifier({ default: other.verifying }) })),
      /the signature does not verify with key "default" \(wrong key/,
    );
    assert.match(
      await signatureError(() => loadBundleVerified(dir, { verification: verifier({ prod: rsa.verifying }) })),
      /signed with unknown key id "default" \(configured: prod\)/,
    );
    const ec = keyPair("ES256");
    assert.match(
      await signatureError(() => loadBundleVerified(dir, { verification: verifier({ default: ec.verifying }) })),
      /it is signed with RS256, but key "default" is for ES256/,
    );
    const anonymous = await signedDir({ ...rsa.signing });
    assert.match(
      await signatureError(() => loadBundleVerified(anonymous, { verification: verifier({ default: rsa.verifying }) })),
      /names no key \(no kid\) and no key_id is configured/,
    );
    // A configured key_id verifies with that key, whatever the signature names (as OPA).
    const bundle = await loadBundleVerified(anonymous, {
      verification: verifier({ default: rsa.verifying }, { keyId: "default" }),
    });
    assert.equal(bundle.signature.keyId, "default");
  });

  it("checks the scope as OPA: the configured scope, else the key's, must equal the signature's", async () => {
    const scoped = await signedDir({ ...rsa.signing, keyId: "default", scope: "write" });
    const plain = await signedDir();
    const load = (dir: string, v: BundleVerification) => loadBundleVerified(dir, { verification: v });
    assert.match(
      await signatureError(() => load(scoped, verifier({ default: rsa.verifying }, { scope: "read" }))),
      /scope mismatch: the signature has scope "write", expected "read"/,
    );
    assert.match(
      await signatureError(() => load(scoped, verifier({ default: rsa.verifying }))),
      /scope mismatch: the signature has scope "write", expected none/,
    );
    assert.match(
      await signatureError(() => load(plain, verifier({ default: rsa.verifying }, { scope: "write" }))),
      /scope mismatch: the signature has no scope, expected "write"/,
    );
    assert.equal(
      (await load(scoped, verifier({ default: { ...rsa.verifying, scope: "write" } }))).signature.scope,
      "write",
    );
    assert.match(
      await signatureError(() => load(scoped, verifier({ default: { ...rsa.verifying, scope: "read" } }))),
      /scope mismatch/,
    );
  });

  it("leaves exclude_files out of verification (Go filepath.Match: * does not cross /)", async () => {
    const dir = await signedDir();
    writeFileSync(join(dir, "README.md"), "hello\n");
    const bundle = await loadBundleVerified(dir, {
      verification: verifier({ default: rsa.verifying }, { excludeFiles: ["*.md"] }),
    });
    assert.equal(bundle.signature.verified, true);
    mkdirSync(join(dir, "docs"));
    writeFileSync(join(dir, "docs/notes.md"), "more\n");
    assert.match(
      await signatureError(() =>
        loadBundleVerified(dir, { verification: verifier({ default: rsa.verifying }, { excludeFiles: ["*.md"] }) }),
      ),
      /docs\/notes\.md: not covered/,
    );
    // An excluded file may also be listed; a listed file that is excluded but absent is still missing (as OPA).
    const listedExtra = await signedDir(undefined, { "notes/data.json": "{}" });
    rmSync(join(listedExtra, "notes/data.json"));
    assert.match(
      await signatureError(() =>
        loadBundleVerified(listedExtra, {
          verification: verifier({ default: rsa.verifying }, { excludeFiles: ["notes/*"] }),
        }),
      ),
      /missing from the bundle: notes\/data\.json/,
    );
  });
});

describe("canonical hashing (OPA's hash.go)", () => {
  it("hashes JSON with sorted keys, no whitespace and number literals as written", () => {
    assert.equal(
      canonicalJson(Buffer.from('{ "b": [1.50, 2e3, -0, "x"], "a": {"z": null, "y": "<&>\\u2028"}, "a": 1 }')),
      '{"a":1,"b":[1.50,2e3,-0,"x"]}',
    );
    assert.equal(canonicalJson(Buffer.from('{"y": "<&>\\u2028\\n\\u0001"}')), '{"y":"<&>\\u2028\\n\\u0001"}');
    // Go sorts keys by UTF-8 bytes: U+FFFF before U+1F600, unlike JavaScript's UTF-16 order.
    assert.equal(canonicalJson(Buffer.from('{"😀": 1, "\\uffff": 2, "é": 3}')), '{"é":3,"\uffff":2,"😀":1}');
  });

  it("hashes YAML as the JSON it converts to", () => {
    assert.equal(canonicalJson(Buffer.from("b: 1\na: [x, 2.5, 1.0, true, ~]\n")), '{"a":["x",2.5,1,true,null],"b":1}');
    // A data.yaml holding JSON is read as JSON (literals kept), as OPA's util.Unmarshal does.
    assert.equal(canonicalJson(Buffer.from('{"n": 1.0}')), '{"n":1.0}');
  });

  it("hashes structured files canonically and everything else byte for byte, with OPA's algorithms", () => {
    const json = Buffer.from('{"b": 1, "a": 2}');
    const sha = (s: string, alg = "sha256") => createHash(alg).update(s).digest("hex");
    assert.equal(hashBundleFile("x/data.json", json, "SHA-256"), sha('{"a":2,"b":1}'));
    assert.equal(hashBundleFile(".manifest", json, "SHA-512"), sha('{"a":2,"b":1}', "sha512"));
    assert.equal(hashBundleFile("x/data.yml", json, "SHA-256"), sha('{"b": 1, "a": 2}'));
    assert.equal(hashBundleFile("p.rego", json, "SHA-512-256"), sha('{"b": 1, "a": 2}', "sha512-256"));
  });

  it("matches exclude patterns as Go's filepath.Match", () => {
    const cases: Array<[string, string, boolean]> = [
      ["*.md", "README.md", true],
      ["*.md", "docs/README.md", false],
      ["docs/*", "docs/a.md", true],
      ["docs/?.md", "docs/a.md", true],
      ["docs/[a-c].md", "docs/d.md", false],
      ["docs/[^a-c].md", "docs/d.md", true],
      ["a\\*b", "a*b", true],
      ["a\\*b", "axb", false],
      [".manifest", ".manifest", true],
    ];
    for (const [pattern, name, expected] of cases)
      assert.equal(globMatcher(pattern)(name), expected, `${pattern} ~ ${name}`);
    assert.throws(() => globMatcher("[abc"), /unclosed \[/);
  });
});

describe("verification keys from configuration", () => {
  const tmp = tempDir("portcullis-keys-");
  after(() => tmp.remove());
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const rsaPublic = rsa.publicKey.export({ type: "spki", format: "pem" }) as string;
  const rsaPkcs1 = rsa.publicKey.export({ type: "pkcs1", format: "pem" }) as string;

  it("reads PEM keys inline, from files (SPKI, PKCS#1) and secrets from the environment", () => {
    writeFileSync(join(tmp.path, "pkcs1.pem"), rsaPkcs1);
    const config = verificationSchema.parse({
      keys: {
        inline: { key: rsaPublic },
        file: { algorithm: "PS256", key_file: join(tmp.path, "pkcs1.pem"), scope: "read" },
        hmac: { algorithm: "HS256", key_env: "TEST_BUNDLE_SECRET" },
      },
      key_id: "inline",
      exclude_files: ["*.md"],
    });
    const verification = verificationFromConfig(config, { TEST_BUNDLE_SECRET: "s3cret" });
    assert.ok(verification);
    assert.equal(verification.keyId, "inline");
    assert.deepEqual(verification.excludeFiles, ["*.md"]);
    assert.equal(verification.keys.get("inline")?.algorithm, "RS256");
    assert.equal(verification.keys.get("file")?.scope, "read");
    assert.deepEqual(verification.keys.get("hmac")?.key, new Uint8Array(Buffer.from("s3cret")));
    assert.equal(verificationFromConfig(undefined), undefined);
  });

  it("is read from portcullis.yaml with key_file relative to the configuration file", () => {
    writeFileSync(join(tmp.path, "verify.pem"), rsaPublic);
    const config = parseConfig(
      {
        policy: { bundle: "bundle", verification: { keys: { default: { key_file: "verify.pem" } }, scope: "prod" } },
        upstreams: [{ name: "demo", url: "http://127.0.0.1:1/mcp" }],
      },
      { baseDir: tmp.path },
    );
    assert.equal(config.policy.verification?.keys.default?.key_file, join(tmp.path, "verify.pem"));
    const verification = verificationFromConfig(config.policy.verification);
    assert.equal(verification?.scope, "prod");
    assert.equal(verification?.keys.get("default")?.algorithm, "RS256");
  });

  it("names the key and the reason for a bad key, never its content", () => {
    const parse = (keys: unknown) => verificationFromConfig(verificationSchema.parse({ keys }), {});
    const configError = (action: () => unknown): string => {
      try {
        action();
      } catch (e) {
        assert.ok(e instanceof GatewayError);
        assert.equal(e.code, "PORTCULLIS_CONFIG_INVALID");
        return e.message;
      }
      assert.fail("expected a configuration error");
    };
    assert.match(
      configError(() => parse({ prod: { key_file: join(tmp.path, "missing.pem") } })),
      /policy\.verification\.keys\.prod: cannot read key file .*missing\.pem: no such file/,
    );
    assert.match(
      configError(() => parse({ prod: { key_env: "NOT_SET_ANYWHERE" } })),
      /keys\.prod: environment variable NOT_SET_ANYWHERE is not set/,
    );
    const garbage = "-----BEGIN PUBLIC KEY-----\nc2VjcmV0LW1hdGVyaWFs\n-----END PUBLIC KEY-----\n";
    const message = configError(() => parse({ prod: { key: garbage } }));
    assert.match(message, /keys\.prod: not a PEM public key/);
    assert.ok(!message.includes("c2VjcmV0"), "the key material must not be echoed");
    assert.match(
      configError(() => parse({ prod: { algorithm: "ES256", key: rsaPublic } })),
      /ES256 needs an EC key/,
    );
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" });
    assert.match(
      configError(() => parse({ prod: { key: small } })),
      /2048 bits or more \(this one has 1024\)/,
    );
    assert.match(
      configError(() =>
        verificationFromConfig(verificationSchema.parse({ keys: { a: { key: rsaPublic } }, exclude_files: ["[x"] })),
      ),
      /exclude_files\[0\]: malformed pattern/,
    );
  });

  it("refuses configurations with no key source, two sources, no keys or an unknown key_id", () => {
    const issues = (value: unknown) => {
      const r = verificationSchema.safeParse(value);
      assert.equal(r.success, false);
      return r.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") ?? "";
    };
    assert.match(
      issues({ keys: { a: { algorithm: "RS256" } } }),
      /keys\.a: give exactly one of key, key_file and key_env/,
    );
    assert.match(issues({ keys: { a: { key: "x", key_env: "Y" } } }), /give exactly one/);
    assert.match(issues({ keys: {} }), /at least one key/);
    assert.match(issues({ keys: { a: { key: "x" } }, key_id: "b" }), /key_id: names no key/);
    assert.match(issues({ keys: { a: { key: "x", algorithm: "none" } } }), /keys\.a\.algorithm/);
  });
});
