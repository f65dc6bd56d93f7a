/** The verified-token cache: keyed by hash, bounded LRU, never past an entry's expiry or maximum age. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TokenCache } from "../../src/auth/token-cache.js";

describe("TokenCache", () => {
  it("keys by SHA-256, never by the token itself", () => {
    const key = TokenCache.keyOf("secret-token");
    assert.equal(key.length, 43);
    assert.ok(!key.includes("secret"));
    assert.equal(key, TokenCache.keyOf("secret-token"));
  });

  it("expires entries at the earlier of their expiry and the maximum age", () => {
    let now = 1_000_000;
    const cache = new TokenCache<string>(10, 5_000, () => now);
    cache.set("a", "A", now + 1_000);
    cache.set("b", "B", now + 60_000);
    cache.set("c", "C", null);
    now += 1_000;
    assert.equal(cache.get("a"), undefined);
    assert.equal(cache.get("b"), "B");
    now += 4_000;
    assert.equal(cache.get("b"), undefined);
    assert.equal(cache.get("c"), undefined);
  });

  it("does not cache what has already expired", () => {
    const cache = new TokenCache<string>(10, 5_000, () => 100);
    cache.set("a", "A", 50);
    assert.equal(cache.size, 0);
  });

  it("evicts the least recently used entry when full", () => {
    const cache = new TokenCache<number>(3, 60_000);
    cache.set("a", 1, null);
    cache.set("b", 2, null);
    cache.set("c", 3, null);
    assert.equal(cache.get("a"), 1);
    cache.set("d", 4, null);
    assert.equal(cache.size, 3);
    assert.equal(cache.get("b"), undefined);
    assert.equal(cache.get("a"), 1);
    assert.equal(cache.get("d"), 4);
  });

  it("caches nothing with max_entries 0", () => {
    const cache = new TokenCache<number>(0, 60_000);
    cache.set("a", 1, null);
    assert.equal(cache.get("a"), undefined);
  });
});
