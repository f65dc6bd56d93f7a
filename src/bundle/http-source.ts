/**
 * An OPA bundle server as a policy source: GET the bundle (`.tar.gz`) with `If-None-Match` set to
 * the ETag of the last bundle read, as OPA does (304 = unchanged), with a download size limit and
 * a timeout, then read it with the same limits as a file. And the poller that drives it: a random
 * delay between OPA's `min_delay_seconds` and `max_delay_seconds`, exponential backoff on errors.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { GatewayError } from "../errors.js";
import { type Bundle, type BundleLimits, DEFAULT_BUNDLE_LIMITS, loadBundle } from "./load.js";

/** How to reach the bundle server. */
export interface HttpBundleSourceOptions {
  url: string;
  /** Static headers, credentials included (never logged). */
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Largest compressed download accepted. */
  maxBytes: number;
  limits?: BundleLimits;
  /** Reads the downloaded .tar.gz (e.g. with signature verification); defaults to `loadBundle` with `limits`. */
  read?: (file: string) => Promise<Bundle>;
}

/** Downloads bundles; `load` is a PolicyStore loader (the same object again = unchanged). */
export class HttpBundleSource {
  private etag: string | undefined;
  private last: Bundle | undefined;
  /** Downloads attempted and 304 answers, for tests and logs. */
  readonly stats = { requests: 0, notModified: 0 };

  constructor(private readonly options: HttpBundleSourceOptions) {}

  /** Fetches the bundle; returns the previous Bundle object on 304; throws GatewayError. */
  readonly load = async (signal?: AbortSignal): Promise<Bundle> => {
    const { url } = this.options;
    const headers: Record<string, string> = { accept: "application/gzip, application/octet-stream, */*" };
    for (const [k, v] of Object.entries(this.options.headers ?? {})) headers[k.toLowerCase()] = v;
    if (this.etag !== undefined && this.last !== undefined) headers["if-none-match"] = this.etag;
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    this.stats.requests++;
    let body: Buffer;
    let etag: string | undefined;
    try {
      const response = await request(url, {
        method: "GET",
        headers,
        signal: combined,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      });
      if (response.statusCode === 304 && this.last) {
        await response.body.dump();
        this.stats.notModified++;
        return this.last;
      }
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw unavailable(url, `answered HTTP ${response.statusCode}`);
      }
      const declared = Number(response.headers["content-length"]);
      if (Number.isFinite(declared) && declared > this.options.maxBytes) {
        response.body.destroy();
        throw unavailable(url, `the bundle is larger than ${this.options.maxBytes} bytes`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > this.options.maxBytes) {
          response.body.destroy();
          throw unavailable(url, `the bundle is larger than ${this.options.maxBytes} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
      body = Buffer.concat(chunks);
      const tag = response.headers.etag;
      etag = typeof tag === "string" && tag.length <= 1024 ? tag : undefined;
    } catch (e) {
      if (e instanceof GatewayError) throw e;
      const why = timeout.aborted ? `no complete answer within ${this.options.timeoutMs} ms` : (e as Error).message;
      throw unavailable(url, why);
    }
    const limits = this.options.limits ?? DEFAULT_BUNDLE_LIMITS;
    const bundle = await readTarballBuffer(url, body, this.options.read ?? (async (file) => loadBundle(file, limits)));
    // Remembered only once the bundle reads: a broken one is downloaded again next time.
    this.etag = etag;
    this.last = bundle;
    return bundle;
  };
}

function unavailable(url: string, why: string): GatewayError {
  return new GatewayError("PORTCULLIS_BUNDLE_UNAVAILABLE", `${redact(url)}: ${why}`);
}

/** The URL without user info or query (either may carry credentials). */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(bundle server)";
  }
}

/** Reads a downloaded `.tar.gz` through the file reader (same limits, same checks), named by its URL. */
async function readTarballBuffer(url: string, body: Buffer, read: (file: string) => Promise<Bundle>): Promise<Bundle> {
  const dir = await mkdtemp(join(tmpdir(), "portcullis-bundle-"));
  const file = join(dir, "bundle.tar.gz");
  try {
    await writeFile(file, body, { mode: 0o600 });
    const bundle = await read(file);
    bundle.source = redact(url);
    return bundle;
  } catch (e) {
    if (e instanceof GatewayError) {
      throw new GatewayError(e.code, e.message.split(file).join(redact(url)), { cause: e });
    }
    throw e;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A running poller. */
export interface Poller {
  stop(): void;
}

/** Polling delays (milliseconds). */
export interface PollingOptions {
  minDelayMs: number;
  maxDelayMs: number;
  /** First retry delay after an error; doubled per consecutive error, capped at maxDelayMs. */
  backoffBaseMs?: number;
  /** Runs one poll; resolves true when it succeeded (changed or unchanged), false on error. */
  poll: () => Promise<boolean>;
  random?: () => number;
  onSchedule?: (delayMs: number, failures: number) => void;
}

/** The delay before the next poll: random in [min, max], or the backoff after `failures` errors. */
export function nextDelay(options: PollingOptions, failures: number): number {
  const random = options.random ?? Math.random;
  if (failures === 0) return options.minDelayMs + random() * (options.maxDelayMs - options.minDelayMs);
  const base = options.backoffBaseMs ?? 500;
  const exponential = Math.min(options.maxDelayMs, base * 2 ** Math.min(failures - 1, 30));
  // Jitter of ±10%, so that a fleet of gateways does not retry in step.
  return Math.min(options.maxDelayMs, exponential * (0.9 + 0.2 * random()));
}

/** Polls until stopped; the first poll comes after one delay (the initial load is the caller's). */
export function startPolling(options: PollingOptions): Poller {
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    const delay = nextDelay(options, failures);
    options.onSchedule?.(delay, failures);
    timer = setTimeout(run, delay);
    timer.unref();
  };
  const run = async () => {
    let ok = false;
    try {
      ok = await options.poll();
    } catch {
      ok = false;
    }
    failures = ok ? 0 : failures + 1;
    schedule();
  };
  schedule();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
