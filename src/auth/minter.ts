/**
 * Upstream identity: the gateway never forwards the client's token; for an upstream configured
 * with `identity: { mint }` it signs a short-lived JWT of its own (iss = the gateway's resource URI,
 * aud = the upstream, sub, groups, client_id, the delegation chain as nested `act`), with a key
 * generated at start or read from `auth.signing_key_file`, published at /.well-known/jwks.json.
 * Tokens are cached per (identity, upstream) until shortly before they expire.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from "node:crypto";
import { readFileSync } from "node:fs";
import { calculateJwkThumbprint, exportJWK, type JWK, SignJWT } from "jose";
import { GatewayError } from "../errors.js";
import type { AuthenticatedIdentity, DelegationStep } from "./identity.js";
import { TokenCache } from "./token-cache.js";

/** The gateway's public key set. */
export interface JsonWebKeySet {
  keys: JWK[];
}

/** What to mint for: one upstream's audience and token lifetime. */
export interface MintTarget {
  upstream: string;
  audience: string;
  ttlS: number;
}

/** The identity fields a minted token carries (an authenticated caller). */
export type MintIdentity = Pick<
  AuthenticatedIdentity,
  "subject" | "groups" | "client_id" | "delegation" | "issuer" | "email" | "name"
>;

const MAX_CACHED_TOKENS = 10_000;

/** Signs upstream tokens with the gateway's key. */
export class UpstreamTokenMinter {
  private readonly cache = new TokenCache<string>(MAX_CACHED_TOKENS, 3_600_000);

  private constructor(
    private readonly issuer: string,
    private readonly key: KeyObject,
    private readonly alg: string,
    private readonly kid: string,
    readonly jwks: JsonWebKeySet,
  ) {}

  /** A minter with the key from `keyFile` (PEM PKCS#8 or a private JWK), or a fresh ES256 key. */
  static async create(issuer: string, keyFile?: string): Promise<UpstreamTokenMinter> {
    const privateKey =
      keyFile === undefined
        ? generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey
        : readPrivateKey(keyFile);
    const alg = algorithmOf(privateKey);
    const publicJwk = await exportJWK(createPublicKey(privateKey));
    const kid = await calculateJwkThumbprint(publicJwk);
    return new UpstreamTokenMinter(issuer, privateKey, alg, kid, {
      keys: [{ ...publicJwk, kid, alg, use: "sig" }],
    });
  }

  /** A token for `identity` at `target`, from the cache while it has more than a quarter of its life left. */
  async tokenFor(identity: MintIdentity, target: MintTarget): Promise<string> {
    const key = cacheKey(identity, target);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = { groups: identity.groups };
    if (identity.client_id !== null) claims.client_id = identity.client_id;
    if (identity.email !== null) claims.email = identity.email;
    if (identity.issuer !== null) claims.idp_iss = identity.issuer;
    const act = actClaim(identity.delegation);
    if (act !== undefined) claims.act = act;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: this.alg, kid: this.kid, typ: "at+jwt" })
      .setIssuer(this.issuer)
      .setAudience(target.audience)
      .setSubject(identity.subject)
      .setIssuedAt(now)
      .setExpirationTime(now + target.ttlS)
      .setJti(crypto.randomUUID())
      .sign(this.key);
    const refreshAt = (now + target.ttlS - Math.max(5, Math.floor(target.ttlS / 4))) * 1000;
    this.cache.set(key, token, refreshAt);
    return token;
  }
}

/** RFC 8693 `act`: the current actor outermost, earlier actors nested inside. */
function actClaim(chain: DelegationStep[]): Record<string, unknown> | undefined {
  let act: Record<string, unknown> | undefined;
  for (let i = chain.length - 1; i >= 0; i--) {
    const step = chain[i] as DelegationStep;
    act = {
      sub: step.sub,
      ...(step.client_id === undefined ? {} : { client_id: step.client_id }),
      ...(act ? { act } : {}),
    };
  }
  return act;
}

function cacheKey(identity: MintIdentity, target: MintTarget): string {
  return createHash("sha256")
    .update(
      JSON.stringify([
        target.upstream,
        target.audience,
        identity.issuer,
        identity.subject,
        identity.client_id,
        identity.groups,
        identity.delegation,
        identity.email,
      ]),
    )
    .digest("base64url");
}

function readPrivateKey(file: string): KeyObject {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new GatewayError(
      "PORTCULLIS_CONFIG_INVALID",
      `auth.signing_key_file: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  try {
    const trimmed = text.trim();
    if (trimmed.startsWith("{")) return createPrivateKey({ key: JSON.parse(trimmed) as JsonWebKey, format: "jwk" });
    return createPrivateKey(trimmed);
  } catch {
    throw new GatewayError(
      "PORTCULLIS_CONFIG_INVALID",
      `auth.signing_key_file: ${file} is not a private key (PEM PKCS#8 or JWK)`,
    );
  }
}

function algorithmOf(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case "rsa":
      return "RS256";
    case "ec": {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === "prime256v1") return "ES256";
      if (curve === "secp384r1") return "ES384";
      break;
    }
    case "ed25519":
      return "EdDSA";
  }
  throw new GatewayError(
    "PORTCULLIS_CONFIG_INVALID",
    "auth.signing_key_file: the key must be RSA, EC P-256/P-384 or Ed25519",
  );
}
