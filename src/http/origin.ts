/**
 * DNS rebinding protection: a gateway on loopback only answers requests whose Host names loopback
 * (or a configured host) and whose Origin, when a browser sends one, is local or configured.
 */

import { isLoopback } from "../config/loopback.js";

export { isLoopback };

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** Checks Host and Origin headers; returns why a request is refused, or undefined to accept it. */
export class OriginPolicy {
  private readonly hosts: Set<string>;
  private readonly origins: Set<string>;
  private readonly checkHost: boolean;

  constructor(listenHost: string, allowedHosts: string[], allowedOrigins: string[]) {
    this.hosts = new Set(allowedHosts.map((h) => h.toLowerCase()));
    this.origins = new Set(allowedOrigins.map((o) => o.toLowerCase().replace(/\/$/, "")));
    // Off loopback, Host is only checked when hosts are configured: the name clients use is unknown.
    this.checkHost = isLoopback(listenHost) || allowedHosts.length > 0;
  }

  /** The reason to refuse, or undefined. */
  refuse(host: string | undefined, origin: string | undefined): string | undefined {
    if (this.checkHost) {
      if (host === undefined) return "missing Host header";
      const name = hostName(host.toLowerCase());
      if (!LOOPBACK_NAMES.has(name) && !this.hosts.has(name) && !this.hosts.has(host.toLowerCase())) {
        return `Host "${host.slice(0, 100)}" is not allowed`;
      }
    }
    if (origin !== undefined && origin !== "null") {
      const normalized = origin.toLowerCase().replace(/\/$/, "");
      if (this.origins.has(normalized)) return undefined;
      let url: URL;
      try {
        url = new URL(normalized);
      } catch {
        return "malformed Origin header";
      }
      if (!LOOPBACK_NAMES.has(url.hostname) || (url.protocol !== "http:" && url.protocol !== "https:")) {
        return `Origin "${origin.slice(0, 100)}" is not allowed`;
      }
    } else if (origin === "null") {
      return 'Origin "null" is not allowed';
    }
    return undefined;
  }
}

/** `name:port` -> `name`, `[v6]:port` -> `[v6]`. */
function hostName(host: string): string {
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.lastIndexOf(":");
  return colon < 0 ? host : host.slice(0, colon);
}
