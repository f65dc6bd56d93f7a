/**
 * Bundle signatures in OPA's format: `.signatures.json` is `{"signatures": ["<compact JWS>"]}`, one
 * JWS whose payload lists every file of the bundle with its digest (`{"files": [{"name", "hash",
 * "algorithm"}], "keyid"?, "scope"?}`) and whose header names the algorithm and key (`alg`, `kid`).
 * Verification follows OPA's bundle/verify.go; where OPA is lenient it is stricter here and says
 * so (a configured verifier refuses a bundle without signatures).
 */
import { CompactSign, compactVerify, errors as joseErrors } from "jose";
import { z } from "zod";
import { GatewayError } from "../errors.js";
import { DEFAULT_HASH_ALGORITHM, globMatcher, hashBundleFile, isHashAlgorithm } from "./hash.js";
import type { AlgorithmKey, BundleVerification } from "./keys.js";

/** The name of the signatures file at a bundle's root. */
export const SIGNATURES_FILE = ".signatures.json";

/** What a verified signature established. */
export interface VerifiedSignature {
  keyId: string;
  /** The scope the signature carries ("" when none). */
  scope: string;
}

/** How `portcullis build` signs: the key, the `kid` to name, and an optional scope claim. */
export interface SigningOptions extends AlgorithmKey {
  keyId?: string;
  scope?: string;
}

const payloadSchema = z
  .object({
    files: z.array(z.object({ name: z.string(), hash: z.string(), algorithm: z.string() }).loose()),
    keyid: z.string().optional(),
    scope: z.string().optional(),
  })
  .loose();

const signaturesSchema = z
  .object({ signatures: z.array(z.string()).optional(), plugin: z.string().optional() })
  .loose();

/**
 * The signatures file for `files` (name -> bytes; `.signatures.json` itself is skipped): one JWS
 * over their SHA-256 digests, as `opa build --signing-key` writes it.
 */
export async function signBundleFiles(files: ReadonlyMap<string, Buffer>, signing: SigningOptions): Promise<Buffer> {
  const listed = [...files.keys()]
    .filter((name) => name !== SIGNATURES_FILE)
    .sort()
    .map((name) => ({
      name,
      hash: hashBundleFile(name, files.get(name) as Buffer, DEFAULT_HASH_ALGORITHM),
      algorithm: DEFAULT_HASH_ALGORITHM,
    }));
  const payload: Record<string, unknown> = { files: listed };
  if (signing.keyId !== undefined) payload.keyid = signing.keyId;
  if (signing.scope !== undefined) payload.scope = signing.scope;
  const header =
    signing.keyId === undefined ? { alg: signing.algorithm } : { alg: signing.algorithm, kid: signing.keyId };
  const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header)
    .sign(signing.key);
  return Buffer.from(`${JSON.stringify({ signatures: [token] }, null, 1)}\n`);
}

/** Decodes one base64url JWS segment as a JSON object, or undefined. */
function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies `files` (every file read from the bundle, by name) against their `.signatures.json`:
 * one JWS, made with a configured key, carrying the expected scope, listing exactly the bundle's
 * files (less `exclude_files`) with matching digests. Throws PORTCULLIS_BUNDLE_SIGNATURE_INVALID
 * naming the file, key id or reason.
 */
export async function verifyBundleFiles(
  source: string,
  files: ReadonlyMap<string, Buffer>,
  verification: BundleVerification,
): Promise<VerifiedSignature> {
  const fail = (message: string) => new GatewayError("PORTCULLIS_BUNDLE_SIGNATURE_INVALID", `${source}: ${message}`);
  const signaturesFile = files.get(SIGNATURES_FILE);
  if (signaturesFile === undefined)
    throw fail(`the bundle has no ${SIGNATURES_FILE}, but signature verification is configured`);
  let parsed: z.infer<typeof signaturesSchema>;
  try {
    parsed = signaturesSchema.parse(JSON.parse(signaturesFile.toString("utf8")));
  } catch {
    throw fail(`${SIGNATURES_FILE}: not a JSON object with a "signatures" list of strings`);
  }
  if (parsed.plugin !== undefined && parsed.plugin !== "")
    throw fail(`${SIGNATURES_FILE}: signature plugin "${parsed.plugin}" is not supported`);
  const tokens = parsed.signatures ?? [];
  if (tokens.length === 0) throw fail(`${SIGNATURES_FILE}: no signature (expected exactly one)`);
  if (tokens.length > 1) throw fail(`${SIGNATURES_FILE}: ${tokens.length} signatures (expected exactly one, as OPA)`);
  const token = tokens[0] as string;

  const parts = token.split(".");
  const header = parts.length === 3 ? decodeSegment(parts[0] as string) : undefined;
  const claims = parts.length === 3 ? decodeSegment(parts[1] as string) : undefined;
  if (!header || !claims) throw fail(`${SIGNATURES_FILE}: the signature is not a compact JWS with a JSON payload`);

  // As OPA: a configured key id wins, then the header's kid, then the deprecated keyid claim.
  const headerKid = typeof header.kid === "string" ? header.kid : "";
  const claimKid = typeof claims.keyid === "string" ? claims.keyid : "";
  const keyId = verification.keyId || headerKid || claimKid;
  if (keyId === "") throw fail(`${SIGNATURES_FILE}: the signature names no key (no kid) and no key_id is configured`);
  const key = verification.keys.get(keyId);
  if (key === undefined) {
    throw fail(
      `${SIGNATURES_FILE}: signed with unknown key id "${keyId}" (configured: ${[...verification.keys.keys()].join(", ")})`,
    );
  }
  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(token, key.key, { algorithms: [key.algorithm] }));
  } catch (e) {
    const alg = typeof header.alg === "string" ? header.alg : "?";
    const reason =
      e instanceof joseErrors.JOSEAlgNotAllowed
        ? `it is signed with ${alg}, but key "${keyId}" is for ${key.algorithm}`
        : e instanceof joseErrors.JWSSignatureVerificationFailed
          ? `the signature does not verify with key "${keyId}" (wrong key, or the signature was altered)`
          : `the signature cannot be verified with key "${keyId}": ${(e as Error).message}`;
    throw fail(`${SIGNATURES_FILE}: ${reason}`);
  }
  let payload: z.infer<typeof payloadSchema>;
  try {
    payload = payloadSchema.parse(JSON.parse(Buffer.from(payloadBytes).toString("utf8")));
  } catch {
    throw fail(`${SIGNATURES_FILE}: the signed payload is not {"files": [{"name", "hash", "algorithm"}], ...}`);
  }
  const expectedScope = verification.scope ?? key.scope ?? "";
  const scope = payload.scope ?? "";
  if (scope !== expectedScope) {
    throw fail(
      `${SIGNATURES_FILE}: scope mismatch: the signature has ${scope === "" ? "no scope" : `scope "${scope}"`}, expected ${expectedScope === "" ? "none" : `"${expectedScope}"`}`,
    );
  }
  checkFiles(files, payload.files, verification.excludeFiles, fail);
  return { keyId, scope };
}

/** Every file must be listed with a matching digest, and every listed file must be present. */
function checkFiles(
  files: ReadonlyMap<string, Buffer>,
  signed: ReadonlyArray<{ name: string; hash: string; algorithm: string }>,
  excludeFiles: readonly string[],
  fail: (message: string) => GatewayError,
): void {
  const listed = new Map(signed.map((f) => [f.name.replace(/^\//, ""), f]));
  const excluded = excludeFiles.map(globMatcher);
  for (const name of [...files.keys()].sort()) {
    if (name === SIGNATURES_FILE) continue;
    if (excluded.some((matches) => matches(name))) {
      listed.delete(name);
      continue;
    }
    const entry = listed.get(name);
    if (entry === undefined) throw fail(`${name}: not covered by the signature (a file was added to the bundle)`);
    if (entry.algorithm === "") throw fail(`${name}: the signature gives no hashing algorithm`);
    if (!isHashAlgorithm(entry.algorithm))
      throw fail(`${name}: unsupported hashing algorithm "${entry.algorithm}" in the signature`);
    let digest: string;
    try {
      digest = hashBundleFile(name, files.get(name) as Buffer, entry.algorithm);
    } catch (e) {
      throw fail(`${name}: cannot be hashed: ${(e as Error).message.split("\n")[0]}`);
    }
    if (digest !== entry.hash.toLowerCase()) throw fail(`${name}: digest mismatch (the file was altered)`);
    listed.delete(name);
  }
  if (listed.size > 0) {
    throw fail(`listed in the signature but missing from the bundle: ${[...listed.keys()].sort().join(", ")}`);
  }
}
