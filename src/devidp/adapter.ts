/**
 * A bounded in-memory storage adapter for oidc-provider: one map per model (sessions, grants,
 * codes, tokens, clients, interactions...), entries expire with their TTL, and each model keeps at
 * most `maxEntries` (the oldest are dropped first), so an open registration endpoint or a login
 * loop cannot grow the process without bound. Nothing survives a restart: development only.
 */
import type { Adapter, AdapterPayload } from "oidc-provider";

interface Entry {
  payload: AdapterPayload;
  /** Epoch milliseconds; undefined when the model has no expiry (e.g. registered clients). */
  expiresAt: number | undefined;
}

/** Default cap per model. */
export const DEFAULT_MAX_ENTRIES = 10_000;

/** The stores of all models of one provider; `adapterClass()` is what oidc-provider's `adapter` option takes. */
export class MemoryStore {
  readonly #models = new Map<string, Map<string, Entry>>();

  constructor(readonly maxEntries = DEFAULT_MAX_ENTRIES) {}

  /** The map of one model (created on first use). */
  model(name: string): Map<string, Entry> {
    let map = this.#models.get(name);
    if (!map) {
      map = new Map();
      this.#models.set(name, map);
    }
    return map;
  }

  /** Number of live entries of a model (for tests). */
  size(name: string): number {
    return this.model(name).size;
  }

  /** A class oidc-provider instantiates once per model name. */
  adapterClass(): new (name: string) => Adapter {
    const store = this;
    return class BoundedMemoryAdapter implements Adapter {
      readonly #entries: Map<string, Entry>;
      readonly #name: string;

      constructor(name: string) {
        this.#name = name;
        this.#entries = store.model(name);
      }

      async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
        this.#entries.delete(id); // re-insert at the end: the map's order is age order
        const expiresAt = Number.isFinite(expiresIn) && expiresIn > 0 ? Date.now() + expiresIn * 1000 : undefined;
        this.#entries.set(id, { payload: structuredClone(payload), expiresAt });
        while (this.#entries.size > store.maxEntries) {
          const oldest = this.#entries.keys().next().value;
          if (oldest === undefined) break;
          this.#entries.delete(oldest);
        }
      }

      async find(id: string): Promise<AdapterPayload | undefined> {
        return this.#live(id)?.payload;
      }

      async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
        return this.#findWhere((p) => p.userCode === userCode);
      }

      async findByUid(uid: string): Promise<AdapterPayload | undefined> {
        return this.#findWhere((p) => p.uid === uid);
      }

      async consume(id: string): Promise<void> {
        const entry = this.#live(id);
        if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
      }

      async destroy(id: string): Promise<void> {
        this.#entries.delete(id);
      }

      async revokeByGrantId(grantId: string): Promise<void> {
        // Tokens of one grant live in several models (codes, access and refresh tokens).
        for (const name of [
          "AuthorizationCode",
          "AccessToken",
          "RefreshToken",
          "DeviceCode",
          "BackchannelAuthenticationRequest",
          this.#name,
        ]) {
          const map = store.model(name);
          for (const [id, entry] of map) if (entry.payload.grantId === grantId) map.delete(id);
        }
      }

      #live(id: string): Entry | undefined {
        const entry = this.#entries.get(id);
        if (!entry) return undefined;
        if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
          this.#entries.delete(id);
          return undefined;
        }
        return entry;
      }

      #findWhere(match: (p: AdapterPayload) => boolean): AdapterPayload | undefined {
        for (const [id, entry] of this.#entries) {
          if (match(entry.payload)) return this.#live(id)?.payload;
        }
        return undefined;
      }
    };
  }
}
