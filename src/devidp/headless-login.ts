/**
 * A browser-less user agent for the development identity provider: it opens an authorization URL,
 * follows the redirects with a small cookie jar, fills in the login form as a demo user, answers the
 * consent form, and stops at the redirect back to the client (whose URL carries `code` and `state`,
 * or `error`). Used by tests, scripts/demo-client.ts and OAuth client providers that cannot open a
 * browser. It only understands the pages of src/devidp/interactions.ts.
 */

/** What the user does on the pages. */
export interface HeadlessLoginOptions {
  username: string;
  password: string;
  /** Allow (default) or deny on the consent page. */
  consent?: "allow" | "deny";
  /** Safety limit on requests (redirects plus form posts). */
  maxSteps?: number;
  /** Per-request timeout in milliseconds. */
  timeoutMs?: number;
}

/** The sign-in did not end at the client's redirect URI (bad credentials, unexpected page...). */
export class HeadlessLoginError extends Error {
  override name = "HeadlessLoginError";
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Cookies by name for one origin; paths are ignored (the flow only talks to one provider). */
class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [k = "", v = ""] = a.split("=", 2).map((s) => s.trim());
        if (k.toLowerCase() === "max-age") return Number(v) <= 0;
        if (k.toLowerCase() === "expires") return Date.parse(v) <= Date.now();
        return false;
      });
      if (expired || value === "") this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

/** The `action` of the form with this id on a page, resolved against the page URL. */
function formAction(html: string, id: string, base: URL): URL | undefined {
  const tag = new RegExp(`<form\\b[^>]*\\bid="${id}"[^>]*>`).exec(html)?.[0];
  const action = tag === undefined ? undefined : /\baction="([^"]*)"/.exec(tag)?.[1];
  return action === undefined ? undefined : new URL(action.replace(/&amp;/g, "&"), base);
}

/** The visible text of a page's alert or heading, for error messages. */
function pageMessage(html: string): string {
  const alert = /<p role="alert">([\s\S]*?)<\/p>/.exec(html)?.[1];
  const text =
    alert ?? /<h1>([\s\S]*?)<\/h1>[\s\S]*?<p>([\s\S]*?)<\/p>/.exec(html)?.slice(1).join(": ") ?? html.slice(0, 200);
  return text.replace(/<[^>]+>/g, "").trim();
}

/**
 * Runs the sign-in for `authorizationUrl` and returns the URL the provider redirects to outside
 * itself: the client's redirect URI with `code` (or `error`) and `state`. It is not fetched.
 */
export async function completeAuthorization(
  authorizationUrl: string | URL,
  options: HeadlessLoginOptions,
): Promise<URL> {
  const start = new URL(authorizationUrl);
  const origin = start.origin;
  const jar = new CookieJar();
  const timeoutMs = options.timeoutMs ?? 10_000;
  let url = start;
  let init: { method: string; body?: URLSearchParams } = { method: "GET" };
  const maxSteps = options.maxSteps ?? 20;
  for (let step = 0; step < maxSteps; step++) {
    const headers: Record<string, string> = { accept: "text/html" };
    const cookie = jar.header();
    if (cookie !== "") headers.cookie = cookie;
    if (init.body) headers["content-type"] = "application/x-www-form-urlencoded";
    const response = await fetch(url, {
      method: init.method,
      headers,
      body: init.body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    jar.store(response);
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location !== null) {
      await response.body?.cancel();
      const next = new URL(location, url);
      if (next.origin !== origin) return next;
      url = next;
      init = { method: "GET" };
      continue;
    }
    const html = await response.text();
    const login = formAction(html, "login", url);
    const consent = formAction(html, "consent", url);
    const abort = formAction(html, "abort", url);
    if (response.status === 200 && login) {
      url = login;
      init = { method: "POST", body: new URLSearchParams({ username: options.username, password: options.password }) };
      continue;
    }
    if (response.status === 200 && consent && abort) {
      url = options.consent === "deny" ? abort : consent;
      init = { method: "POST", body: new URLSearchParams() };
      continue;
    }
    throw new HeadlessLoginError(
      `sign-in stopped at ${url.pathname} (HTTP ${response.status}): ${pageMessage(html)}`,
      response.status,
    );
  }
  throw new HeadlessLoginError(`sign-in did not finish within ${maxSteps} requests`);
}
