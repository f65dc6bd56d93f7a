/**
 * From a verified token's claims (JWT payload or introspection response) to the caller's identity
 * as the policy and the audit log see it. Bounded: an outsider's token decides how many groups and
 * how deep a delegation chain the gateway copies.
 */

/** One step of a delegation chain (RFC 8693 `act`): the party acting, outermost (current actor) first. */
export type DelegationStep = { sub: string; client_id?: string };

/** An authenticated caller. Structurally the gateway's `Identity` with `anonymous: false`. */
export interface AuthenticatedIdentity {
  subject: string;
  anonymous: false;
  groups: string[];
  client_id: string | null;
  scopes: string[];
  email: string | null;
  name: string | null;
  issuer: string | null;
  /** Who acts on the subject's behalf (an agent), from nested `act` claims. */
  delegation: DelegationStep[];
  /** Token expiry, seconds since the epoch. */
  expires_at: number | null;
}

/** How claims map to an identity (from `auth`). */
export interface ClaimMapping {
  groupsClaim: string;
  clientIdClaim: string;
}

const MAX_GROUPS = 256;
const MAX_SCOPES = 256;
const MAX_STRING = 512;
const MAX_DELEGATION_DEPTH = 8;

/** Maps claims to an identity; returns a reason string when the claims cannot identify anyone. */
export function identityFromClaims(
  claims: Record<string, unknown>,
  mapping: ClaimMapping,
): AuthenticatedIdentity | string {
  const subject = shortString(claims.sub);
  if (subject === null) return "the token has no sub claim";
  const exp = claims.exp;
  return {
    subject,
    anonymous: false,
    groups: stringList(claimAt(claims, mapping.groupsClaim), MAX_GROUPS),
    client_id: shortString(claims[mapping.clientIdClaim]) ?? shortString(claims.azp),
    scopes: scopesOf(claims),
    email: shortString(claims.email),
    name: shortString(claims.name),
    issuer: shortString(claims.iss),
    delegation: delegationOf(claims.act),
    expires_at: typeof exp === "number" && Number.isFinite(exp) ? exp : null,
  };
}

/** The value at a dot path (`realm_access.roles`); a claim whose own name has dots is tried first. */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (path in claims) return claims[path];
  let node: unknown = claims;
  for (const key of path.split(".")) {
    if (typeof node !== "object" || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** `scope` (space-separated string, RFC 9068/8693) or `scp` (array, common in IdPs). */
function scopesOf(claims: Record<string, unknown>): string[] {
  if (typeof claims.scope === "string") {
    return claims.scope
      .split(" ")
      .filter((s) => s !== "")
      .slice(0, MAX_SCOPES);
  }
  return stringList(claims.scp, MAX_SCOPES);
}

function delegationOf(act: unknown): DelegationStep[] {
  const chain: DelegationStep[] = [];
  let node = act;
  while (typeof node === "object" && node !== null && !Array.isArray(node) && chain.length < MAX_DELEGATION_DEPTH) {
    const claims = node as Record<string, unknown>;
    const sub = shortString(claims.sub);
    if (sub === null) break;
    const clientId = shortString(claims.client_id);
    chain.push(clientId === null ? { sub } : { sub, client_id: clientId });
    node = claims.act;
  }
  return chain;
}

function stringList(value: unknown, max: number): string[] {
  if (typeof value === "string") return value.length <= MAX_STRING ? [value] : [];
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const item of value) {
    if (out.length >= max) break;
    if (typeof item === "string" && item.length <= MAX_STRING) out.push(item);
  }
  return out;
}

function shortString(value: unknown): string | null {
  return typeof value === "string" && value !== "" && value.length <= MAX_STRING ? value : null;
}
