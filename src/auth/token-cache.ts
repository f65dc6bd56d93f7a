/**
 * Verified tokens by SHA-256 of the token (the token itself is never kept), each until the earlier
 * of its expiry and a maximum age, in a bounded LRU: a repeated call pays a hash and a map lookup
 * instead of a signature check or an introspection round trip.
 */
import { createHash } from "node:crypto";

/** A bounded LRU of values that expire. */
export class TokenCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxTtlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The key a token is cached under. */
  static keyOf(token: string): string {
    return createHash("sha256").update(token).digest("base64url");
  }

  /** The cached value, unless absent or expired (an expired one is dropped). */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Most recently used goes last (Map keeps insertion order).
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Caches `value` until `expiresAtMs` (or the maximum age, whichever comes first). */
  set(key: string, value: V, expiresAtMs: number | null): void {
    if (this.maxEntries === 0) return;
    const now = this.now();
    const until = Math.min(expiresAtMs ?? Number.POSITIVE_INFINITY, now + this.maxTtlMs);
    if (until <= now) return;
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, until });
  }

  /** Drops every entry for which `predicate` holds (e.g. a revoked subject). */
  deleteWhere(predicate: (value: V) => boolean): void {
    for (const [key, entry] of this.entries) if (predicate(entry.value)) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
