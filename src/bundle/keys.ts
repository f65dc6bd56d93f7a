/**
 * Key material for bundle signatures, modelled on OPA's `keys` configuration: PEM public keys
 * (SPKI "PUBLIC KEY", PKCS#1 "RSA PUBLIC KEY", certificates; a private key also works, as in OPA)
 * for RS*, PS*, ES* and EdDSA, raw shared secrets for HS*. Keys are imported once, at start-up or
 * when a command starts, so a bad key is reported before any bundle is read. Secrets never appear
 * in an error message.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { type PolicyVerificationConfig, SIGNATURE_ALGORITHMS } from "../config/verification.js";
import { GatewayError } from "../errors.js";
import { globMatcher } from "./hash.js";

/** The JWS algorithms OPA accepts for bundle signatures (the config schema holds the list). */
export const SIGNING_ALGORITHMS = SIGNATURE_ALGORITHMS;

export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** A key able to sign or verify with `algorithm`: a KeyObject, or the secret's bytes for HS*. */
export interface AlgorithmKey {
  algorithm: SigningAlgorithm;
  key: KeyObject | Uint8Array;
}

/** A verification key as configured under `policy.verification.keys.<kid>`. */
export interface VerificationKey extends AlgorithmKey {
  /** The scope a signature made with this key must carry, unless `scope` is configured globally. */
  scope?: string;
}

/** What `loadBundleVerified` checks a bundle's signature against. */
export interface BundleVerification {
  /** Keys by key id (the JWS `kid`). */
  keys: ReadonlyMap<string, VerificationKey>;
  /** When set, this key verifies every bundle, whatever `kid` the signature names (as OPA's `keyid`). */
  keyId?: string;
  /** The scope signatures must carry (overrides each key's own scope). */
  scope?: string;
  /** Go filepath.Match patterns of files left out of verification. */
  excludeFiles: readonly string[];
}

/** True for an algorithm name this gateway signs and verifies with. */
export function isSigningAlgorithm(name: string): name is SigningAlgorithm {
  return (SIGNING_ALGORITHMS as readonly string[]).includes(name);
}

const CURVES: Partial<Record<SigningAlgorithm, string>> = {
  ES256: "prime256v1",
  ES384: "secp384r1",
  ES512: "secp521r1",
};

/** Throws Error unless `key` is of the kind `algorithm` needs (so a mix-up is found at start-up). */
function checkKeyFits(algorithm: SigningAlgorithm, key: KeyObject): void {
  const type = key.asymmetricKeyType;
  const family = algorithm.slice(0, 2);
  if (family === "RS" || family === "PS") {
    if (type !== "rsa" && !(family === "PS" && type === "rsa-pss"))
      throw new Error(`${algorithm} needs an RSA key, not ${type ?? "a secret"}`);
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw new Error(`${algorithm} needs an RSA key of 2048 bits or more (this one has ${bits})`);
  } else if (family === "ES") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (type !== "ec" || curve !== CURVES[algorithm])
      throw new Error(
        `${algorithm} needs an EC key on ${CURVES[algorithm]}, not ${type ?? "a secret"} ${curve ?? ""}`.trim(),
      );
  } else if (algorithm === "EdDSA") {
    if (type !== "ed25519" && type !== "ed448") throw new Error(`EdDSA needs an Ed25519 or Ed448 key, not ${type}`);
  }
}

function isHmac(algorithm: SigningAlgorithm): boolean {
  return algorithm.startsWith("HS");
}

/**
 * A key that verifies `algorithm` signatures, from PEM text or (HS*) the secret's bytes. `where`
 * names the key in errors (e.g. `policy.verification.keys.prod`); the material itself is never shown.
 */
export function importVerificationKey(algorithm: SigningAlgorithm, material: Buffer, where: string): AlgorithmKey {
  if (isHmac(algorithm)) {
    if (material.length === 0) throw new GatewayError("PORTCULLIS_CONFIG_INVALID", `${where}: the secret is empty`);
    return { algorithm, key: new Uint8Array(material) };
  }
  let key: KeyObject;
  try {
    key = createPublicKey(material);
  } catch {
    throw new GatewayError(
      "PORTCULLIS_CONFIG_INVALID",
      `${where}: not a PEM public key, certificate or private key usable for ${algorithm}`,
    );
  }
  try {
    checkKeyFits(algorithm, key);
  } catch (e) {
    throw new GatewayError("PORTCULLIS_CONFIG_INVALID", `${where}: ${(e as Error).message}`);
  }
  return { algorithm, key };
}

/** A key that signs with `algorithm`: a PEM private key (PKCS#8, PKCS#1, SEC1), or the secret's bytes for HS*. */
export function importSigningKey(algorithm: SigningAlgorithm, material: Buffer, where: string): AlgorithmKey {
  if (isHmac(algorithm)) {
    if (material.length === 0) throw new GatewayError("PORTCULLIS_CONFIG_INVALID", `${where}: the secret is empty`);
    return { algorithm, key: new Uint8Array(material) };
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(material);
  } catch {
    throw new GatewayError(
      "PORTCULLIS_CONFIG_INVALID",
      `${where}: not a PEM private key (PKCS#8, PKCS#1 or SEC1) usable for ${algorithm}`,
    );
  }
  try {
    checkKeyFits(algorithm, key);
  } catch (e) {
    throw new GatewayError("PORTCULLIS_CONFIG_INVALID", `${where}: ${(e as Error).message}`);
  }
  return { algorithm, key };
}

/** Reads key material from a file; errors name the file and the reason, never the content. */
export function readKeyFile(file: string, where: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new GatewayError(
      "PORTCULLIS_CONFIG_INVALID",
      `${where}: cannot read key file ${file}: ${code === "ENOENT" ? "no such file" : (code ?? "unreadable")}`,
    );
  }
}

/** Reads key material from an environment variable. */
export function readKeyEnv(name: string, where: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const value = env[name];
  if (value === undefined || value === "")
    throw new GatewayError("PORTCULLIS_CONFIG_INVALID", `${where}: environment variable ${name} is not set`);
  return Buffer.from(value, "utf8");
}

/**
 * The loader's verification options from `policy.verification` (undefined when not configured):
 * reads key files and variables and imports every key, so a bad key stops start-up with an error
 * that names it. Pass the result to `loadBundleVerified(path, { verification })`.
 */
export function verificationFromConfig(
  config: PolicyVerificationConfig | undefined,
  env: NodeJS.ProcessEnv = process.env,
): BundleVerification | undefined {
  if (config === undefined) return undefined;
  const keys = new Map<string, VerificationKey>();
  for (const [kid, entry] of Object.entries(config.keys)) {
    const where = `policy.verification.keys.${kid}`;
    const material =
      entry.key !== undefined
        ? Buffer.from(entry.key, "utf8")
        : entry.key_file !== undefined
          ? readKeyFile(entry.key_file, where)
          : readKeyEnv(entry.key_env as string, where, env);
    const imported = importVerificationKey(entry.algorithm, material, where);
    keys.set(kid, entry.scope === undefined ? imported : { ...imported, scope: entry.scope });
  }
  return {
    keys,
    ...(config.key_id === undefined ? {} : { keyId: config.key_id }),
    ...(config.scope === undefined ? {} : { scope: config.scope }),
    excludeFiles: config.exclude_files.map((pattern, i) => {
      try {
        globMatcher(pattern);
      } catch (e) {
        throw new GatewayError(
          "PORTCULLIS_CONFIG_INVALID",
          `policy.verification.exclude_files[${i}]: ${(e as Error).message}`,
        );
      }
      return pattern;
    }),
  };
}
