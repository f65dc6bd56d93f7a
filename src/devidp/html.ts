/**
 * The HTML of the development identity provider's own pages (login, consent, errors): one page
 * frame with a development-only banner, escaping, and the security headers they are sent with.
 */
import type { ServerResponse } from "node:http";

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A complete HTML page with a development-only banner. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · Portcullis dev IdP</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 2rem auto">
<p style="background:#fee;border:1px solid #c00;padding:.5rem">Development identity provider: demo users, keys generated per run. Never use it in production.</p>
<h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

/** Sends a page: no caching, no framing, no scripts. */
export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    // No form-action: browsers apply it to the redirect chain that ends at the client's redirect URI.
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "x-frame-options": "DENY",
  });
  res.end(html);
}
