/**
 * The revocation list: subjects and OAuth clients an administrator has cut off. Bounded, kept in a
 * JSON file when configured (written atomically), and reported to a listener on every change so
 * the policy data (`data.portcullis_revocations`) can follow.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { GatewayError } from "../errors.js";

/** The list as the policy data and the admin endpoint show it. */
export interface RevocationSnapshot {
  subjects: string[];
  clients: string[];
}

/** What to revoke or restore: a subject or a client id. */
export type RevocationTarget = { subject: string } | { client_id: string };

const MAX_ID_LENGTH = 512;

/** Revoked subjects and clients. */
export class RevocationList {
  private readonly subjects = new Set<string>();
  private readonly clients = new Set<string>();
  private readonly listeners: Array<(list: RevocationSnapshot) => void | Promise<void>> = [];
  private pending: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: { max: number; path?: string } = { max: 10_000 }) {
    if (options.path !== undefined) this.load(options.path);
  }

  /** True when nothing is revoked (the hot path skips the lookups). */
  get empty(): boolean {
    return this.subjects.size === 0 && this.clients.size === 0;
  }

  /** Whether the subject or the client of a caller is revoked. */
  isRevoked(subject: string | null, clientId: string | null): boolean {
    if (this.empty) return false;
    return (subject !== null && this.subjects.has(subject)) || (clientId !== null && this.clients.has(clientId));
  }

  /** Adds a subject or client; false when it was already there. Throws when the list is full. */
  add(target: RevocationTarget): boolean {
    const [set, id] = this.pick(target);
    if (set.has(id)) return false;
    if (this.subjects.size + this.clients.size >= this.options.max) {
      throw new GatewayError("PORTCULLIS_INVALID_PARAMS", `the revocation list is full (${this.options.max} entries)`);
    }
    set.add(id);
    this.changed();
    return true;
  }

  /** Removes a subject or client; false when it was not there. */
  remove(target: RevocationTarget): boolean {
    const [set, id] = this.pick(target);
    if (!set.delete(id)) return false;
    this.changed();
    return true;
  }

  snapshot(): RevocationSnapshot {
    return { subjects: [...this.subjects].sort(), clients: [...this.clients].sort() };
  }

  /** Calls `listener` with the list after every change; `settled()` waits for what it returns. */
  onChange(listener: (list: RevocationSnapshot) => void | Promise<void>): void {
    this.listeners.push(listener);
  }

  /** Resolves when the listeners of the latest change have finished (their failures are theirs). */
  async settled(): Promise<void> {
    await this.pending;
  }

  private pick(target: RevocationTarget): [Set<string>, string] {
    const id = "subject" in target ? target.subject : target.client_id;
    if (typeof id !== "string" || id === "" || id.length > MAX_ID_LENGTH) {
      throw new GatewayError("PORTCULLIS_INVALID_PARAMS", `the id must be a string of 1-${MAX_ID_LENGTH} characters`);
    }
    return ["subject" in target ? this.subjects : this.clients, id];
  }

  private changed(): void {
    const list = this.snapshot();
    if (this.options.path !== undefined) {
      const temp = `${this.options.path}.${process.pid}.tmp`;
      writeFileSync(temp, `${JSON.stringify(list, null, 2)}\n`, { mode: 0o600 });
      renameSync(temp, this.options.path);
    }
    this.pending = Promise.allSettled(this.listeners.map(async (listener) => listener(list)));
  }

  private load(path: string): void {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw new GatewayError("PORTCULLIS_CONFIG_INVALID", `admin.revocations_path: cannot read ${path}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new GatewayError("PORTCULLIS_CONFIG_INVALID", `admin.revocations_path: ${path} is not JSON`);
    }
    const list = parsed as Partial<RevocationSnapshot>;
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : []);
    for (const s of strings(list.subjects).slice(0, this.options.max)) this.subjects.add(s);
    for (const c of strings(list.clients).slice(0, Math.max(0, this.options.max - this.subjects.size))) {
      this.clients.add(c);
    }
  }
}
