/**
 * The login and consent pages of the development identity provider (plain HTML forms, no external
 * assets, no scripts) at /interaction/:uid, and their form handlers. oidc-provider sends the user
 * agent here whenever it needs a login or a consent; the handlers answer with
 * `interactionFinished`, which redirects back into the authorization flow.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type Provider from "oidc-provider";
import type { Interaction } from "oidc-provider";
import { escapeHtml, page, sendHtml } from "./html.js";
import type { UserDirectory } from "./users.js";

/** Largest form body accepted (a username and a password fit easily). */
const MAX_FORM_BYTES = 8 * 1024;

/** `/interaction/<uid>` and `/interaction/<uid>/<action>`; uids are oidc-provider's nanoids. */
const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(login|confirm|abort))?$/;

/** True when this request path belongs to the interaction UI. */
export function isInteractionPath(pathname: string): boolean {
  return INTERACTION_PATH.test(pathname);
}

/** Serves one interaction request (page or form post); never throws (errors become a page). */
export async function handleInteraction(
  provider: Provider,
  users: UserDirectory,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): Promise<void> {
  const match = INTERACTION_PATH.exec(pathname);
  const uid = match?.[1];
  const action = match?.[2];
  try {
    if (uid === undefined) return sendHtml(res, 404, page("Not found", "<p>No such page.</p>"));
    if (action === undefined) {
      if (req.method !== "GET") return sendHtml(res, 405, page("Method not allowed", ""));
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== uid) return sendHtml(res, 400, page("Wrong interaction", "<p>Start the sign-in again.</p>"));
      return sendHtml(res, 200, await renderPrompt(provider, details, undefined));
    }
    if (req.method !== "POST") return sendHtml(res, 405, page("Method not allowed", ""));
    const form = await readForm(req);
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return sendHtml(res, 400, page("Wrong interaction", "<p>Start the sign-in again.</p>"));
    if (action === "abort") {
      return provider.interactionFinished(
        req,
        res,
        { error: "access_denied", error_description: "the user denied the request" },
        { mergeWithLastSubmission: false },
      );
    }
    if (action === "login") {
      if (details.prompt.name !== "login") return sendHtml(res, 400, page("Unexpected", "<p>No login is pending.</p>"));
      const user = users.authenticate(form.get("username") ?? "", form.get("password") ?? "");
      if (!user) return sendHtml(res, 401, await renderPrompt(provider, details, "Unknown user or wrong password."));
      return provider.interactionFinished(
        req,
        res,
        { login: { accountId: user.sub } },
        { mergeWithLastSubmission: false },
      );
    }
    // confirm
    if (details.prompt.name !== "consent")
      return sendHtml(res, 400, page("Unexpected", "<p>No consent is pending.</p>"));
    const grantId = await grantConsent(provider, details);
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  } catch (e) {
    if (res.headersSent) return;
    const message = e instanceof Error ? e.message : String(e);
    const status = e instanceof FormTooLarge ? 413 : 400;
    // oidc-provider's errors (expired interaction, missing cookie) are safe to show; they carry no secrets.
    return sendHtml(
      res,
      status,
      page("Sign-in failed", `<p>${escapeHtml(message)}</p><p>Start the sign-in again.</p>`),
    );
  }
}

/** Grants what the consent prompt found missing (scopes, claims, resource scopes); returns the grant id. */
async function grantConsent(provider: Provider, details: Interaction): Promise<string> {
  const accountId = details.session?.accountId;
  const clientId = details.params.client_id;
  if (accountId === undefined || typeof clientId !== "string") throw new Error("the interaction has no signed-in user");
  const existing = details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId);
  const grant = existing ?? new provider.Grant({ accountId, clientId });
  const missing = details.prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(" "));
  }
  return grant.save();
}

/** The page for the pending prompt: a login form or a consent form. */
async function renderPrompt(provider: Provider, details: Interaction, error: string | undefined): Promise<string> {
  const uid = escapeHtml(details.uid);
  const clientId = typeof details.params.client_id === "string" ? details.params.client_id : "";
  const client = clientId === "" ? undefined : await provider.Client.find(clientId);
  const clientName = escapeHtml(client?.clientName ?? clientId);
  const notice = error === undefined ? "" : `<p role="alert"><strong>${escapeHtml(error)}</strong></p>`;
  if (details.prompt.name === "login") {
    return page(
      "Sign in",
      `${notice}<p><strong>${clientName}</strong> asks you to sign in (Portcullis development identity provider).</p>
<form id="login" method="post" action="/interaction/${uid}/login">
<label>Username <input name="username" autocomplete="username" required autofocus></label><br>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label><br>
<button type="submit">Sign in</button>
</form>
<form id="abort" method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>
<p><small>Demo users: see the output of <code>portcullis dev-idp</code> (password = username by default).</small></p>`,
    );
  }
  if (details.prompt.name === "consent") {
    const missing = details.prompt.details;
    const scopes = new Set<string>(missing.missingOIDCScope ?? []);
    const resources = Object.entries(missing.missingResourceScopes ?? {});
    for (const [, s] of resources) for (const scope of s) scopes.add(scope);
    const scopeList = [...scopes].map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join("");
    const resourceList = resources.map(([r]) => `<li><code>${escapeHtml(r)}</code></li>`).join("");
    return page(
      "Allow access",
      `${notice}<p><strong>${clientName}</strong> asks for access as <strong>${escapeHtml(details.session?.accountId ?? "")}</strong>.</p>
<p>Scopes:</p><ul>${scopeList || "<li>(none)</li>"}</ul>
${resourceList ? `<p>To call:</p><ul>${resourceList}</ul>` : ""}
<form id="consent" method="post" action="/interaction/${uid}/confirm"><button type="submit" autofocus>Allow</button></form>
<form id="abort" method="post" action="/interaction/${uid}/abort"><button type="submit">Deny</button></form>`,
    );
  }
  return page("Unsupported", `<p>Unsupported prompt ${escapeHtml(details.prompt.name)}.</p>`);
}

class FormTooLarge extends Error {
  constructor() {
    super("form too large");
  }
}

/** Reads an application/x-www-form-urlencoded body of at most MAX_FORM_BYTES. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new FormTooLarge();
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}
