/**
 * The audit trail: one JSON line per client request, written by pino to a file or stdout. Raw
 * arguments are left out unless configured; a SHA-256 digest of their canonical JSON stands in.
 */
import * as crypto from "node:crypto";
import { createHash } from "node:crypto";
import pino, { type Logger } from "pino";

/** What happened to a request; `unauthenticated`: refused before any decision (no valid token). */
export type AuditOutcome = "allowed" | "denied" | "error" | "unauthenticated";

/** One audit record (serialised as one JSON line with `time` in ISO 8601). */
export interface AuditRecord {
  method: string;
  outcome: AuditOutcome;
  /** Error code (a PORTCULLIS_* code, or the upstream's JSON-RPC code) when the outcome is error. */
  error_type?: string;
  error_message?: string;
  identity: {
    subject: string | null;
    anonymous: boolean;
    groups: string[];
    client_id: string | null;
    issuer?: string;
    /** Agents acting for the subject, current actor first (RFC 8693 `act`). */
    delegation?: Array<{ sub: string; client_id?: string }>;
  };
  session_id: string | null;
  server: string | null;
  /** Tool, prompt or resource the request names. */
  target?: string;
  arguments_digest?: string;
  arguments?: unknown;
  trace_id: string;
  upstream?: { name: string; transport: "http" | "stdio"; duration_ms: number };
  duration_ms: number;
  decision_id?: string;
  response_decision_id?: string;
  policy_revision?: string;
  reasons?: string[];
  labels?: string[];
}

/** Writes audit records; `close` flushes. */
export interface AuditLog {
  write(record: AuditRecord): void;
  /** Writes a non-request event (e.g. "shadow decision differs") with its fields. */
  writeEvent(event: string, fields: Record<string, unknown>): void;
  /** Whether raw arguments go into records. */
  readonly includeArguments: boolean;
  close(): Promise<void>;
}

let lastMs = Number.NaN;
let lastIso = "";

/** The current time in ISO 8601, formatted once per millisecond (records and decisions come thousands a second). */
export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** Characters of records a turn may gather before they are written anyway. */
const TURN_BUFFER_CHARS = 65_536;

/** Opens the audit log at `path` (`-` = stdout); `onError` hears of failed writes (never thrown). */
export function openAuditLog(
  path: string,
  options: { includeArguments: boolean; onError?: (error: Error) => void },
): AuditLog {
  // The records of one event-loop turn are joined and written together, synchronously, when the
  // turn ends: one write per turn on the main thread. Asynchronous writes would hand every record
  // to a libuv worker thread (two thread wake-ups per record, more CPU than the request itself),
  // and the destination's own buffering measures its whole buffer on every write. A crash loses
  // at most the records of the turn it happens in.
  const destination = pino.destination({ dest: path === "-" ? 1 : path, sync: true, mkdir: true });
  // A failed write (disk full, closed stdout) is reported, not thrown: serving goes on.
  let failed = false;
  destination.on("error", (e: Error) => {
    failed = true;
    options.onError?.(e);
  });
  const logger: Logger = pino(
    {
      base: undefined,
      messageKey: "event",
      timestamp: pino.stdTimeFunctions.isoTime,
      // The level of every audit record is the same; the record's kind says more.
      formatters: { level: () => ({ kind: "audit" }) },
    },
    destination,
  );
  let pending: string[] = [];
  let pendingChars = 0;
  let flushScheduled = false;
  let closing = false;
  const flush = () => {
    if (pending.length === 0) return;
    const text = pending.join("");
    pending = [];
    pendingChars = 0;
    destination.write(text);
  };
  const scheduledFlush = () => {
    flushScheduled = false;
    if (!closing) flush();
  };
  return {
    includeArguments: options.includeArguments,
    write(record) {
      // The line pino would write ({"kind":"audit","time":...,...record}), serialised in one
      // JSON.stringify of the record instead of pino's member-by-member serialiser: a record is
      // written for every request, and it is plain JSON data of a known shape.
      const line = `{"kind":"audit","time":"${isoNow()}",${JSON.stringify(record).slice(1)}\n`;
      pending.push(line);
      pendingChars += line.length;
      if (pendingChars >= TURN_BUFFER_CHARS) flush();
      else if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(scheduledFlush);
      }
    },
    writeEvent(event, fields) {
      // After the records before it, in order.
      flush();
      logger.info(fields, event);
    },
    close() {
      closing = true;
      flush();
      return new Promise((resolve) => {
        // Writes are synchronous, so nothing is left in the destination's buffer but what failed to
        // write; its flushSync would retry that forever (sonic-boom loops on ENOSPC), so it is not called.
        const finish = () => {
          if (path === "-") return resolve();
          // A destination that could not write (disk full) may never close: it is dropped.
          if (failed) {
            destination.destroy();
            return resolve();
          }
          const timer = setTimeout(resolve, 2000);
          destination.once("close", () => {
            clearTimeout(timer);
            resolve();
          });
          destination.end();
        };
        if ((destination as unknown as { fd: number }).fd >= 0) finish();
        else destination.once("ready", finish);
      });
    },
  };
}

/** SHA-256 (hex) of the canonical JSON of `value`: keys sorted at every level. */
export function argumentsDigest(value: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(value))}`;
}

/** crypto.hash (Node 20.12 and later): one call, no Hash object per digest. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash;

function sha256Hex(text: string): string {
  return oneShotHash ? oneShotHash("sha256", text, "hex") : createHash("sha256").update(text).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(",")}}`;
}
