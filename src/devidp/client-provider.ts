/**
 * An MCP SDK `OAuthClientProvider` that signs in as a demo user of the development identity
 * provider without a browser, and `connectAsUser`, which runs the whole MCP authorization flow with
 * it: the SDK gets 401 from the gateway, discovers its RFC 9728 metadata and the IdP, registers
 * dynamically, redirects (here: the headless login answers the login and consent forms and captures
 * the code), exchanges the code with PKCE, and connects again with the token. Everything is kept in
 * memory. For tests, scripts/demo-client.ts and demos only.
 */
import { randomBytes } from "node:crypto";
import { type OAuthClientProvider, UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import { completeAuthorization, HeadlessLoginError } from "./headless-login.js";

/** Where the (never opened) redirect goes; the headless login stops before fetching it. */
export const HEADLESS_REDIRECT_URL = "http://127.0.0.1/portcullis-headless-callback";

/** A demo user's credentials and what to answer on the consent page. */
export interface HeadlessUser {
  username: string;
  password: string;
  consent?: "allow" | "deny";
}

/** The OAuth client state of one MCP client signing in as one user. */
export class HeadlessOAuthClientProvider implements OAuthClientProvider {
  #client: OAuthClientInformationMixed | undefined;
  #tokens: OAuthTokens | undefined;
  #verifier: string | undefined;
  #state: string | undefined;
  #code: string | undefined;
  /** How many times the SDK started an authorization (one per login). */
  authorizations = 0;

  constructor(
    readonly user: HeadlessUser,
    readonly clientName = "portcullis headless client",
  ) {}

  get redirectUrl(): string {
    return HEADLESS_REDIRECT_URL;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.clientName,
      redirect_uris: [HEADLESS_REDIRECT_URL],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }

  state(): string {
    this.#state = randomBytes(16).toString("base64url");
    return this.#state;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.#client;
  }

  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.#client = info;
  }

  tokens(): OAuthTokens | undefined {
    return this.#tokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.#tokens = tokens;
  }

  saveCodeVerifier(verifier: string): void {
    this.#verifier = verifier;
  }

  codeVerifier(): string {
    if (this.#verifier === undefined) throw new Error("no PKCE code verifier saved");
    return this.#verifier;
  }

  invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery"): void {
    if (scope === "all" || scope === "client") this.#client = undefined;
    if (scope === "all" || scope === "tokens") this.#tokens = undefined;
    if (scope === "all" || scope === "verifier") this.#verifier = undefined;
  }

  /** The "browser": signs in through the IdP's forms and keeps the code for `takeAuthorizationCode`. */
  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    this.authorizations++;
    const back = await completeAuthorization(authorizationUrl, this.user);
    const error = back.searchParams.get("error");
    if (error !== null) {
      throw new HeadlessLoginError(
        `authorization failed: ${error} ${back.searchParams.get("error_description") ?? ""}`.trim(),
      );
    }
    if (back.searchParams.get("state") !== this.#state)
      throw new HeadlessLoginError("authorization response state mismatch");
    const code = back.searchParams.get("code");
    if (code === null) throw new HeadlessLoginError("authorization response without a code");
    this.#code = code;
  }

  /** The code captured by the last redirect (once). */
  takeAuthorizationCode(): string {
    const code = this.#code;
    if (code === undefined) throw new Error("no authorization code captured");
    this.#code = undefined;
    return code;
  }
}

/** A connected SDK client and what it signed in with. */
export interface UserConnection {
  client: Client;
  transport: StreamableHTTPClientTransport;
  provider: HeadlessOAuthClientProvider;
}

/**
 * Connects an SDK `Client` to an MCP server protected by the development IdP, signing in as `user`
 * (or reusing `provider`'s tokens). The first connect fails with 401 and triggers the login; the
 * code is exchanged and the connection retried once.
 */
export async function connectAsUser(
  mcpUrl: string | URL,
  user: HeadlessUser,
  options: { provider?: HeadlessOAuthClientProvider; clientName?: string } = {},
): Promise<UserConnection> {
  const provider = options.provider ?? new HeadlessOAuthClientProvider(user, options.clientName);
  const url = new URL(mcpUrl);
  const clientName = options.clientName ?? "portcullis-headless";
  const first = new StreamableHTTPClientTransport(url, { authProvider: provider });
  try {
    const client = new Client({ name: clientName, version: "1.0.0" });
    await client.connect(first);
    return { client, transport: first, provider };
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
  }
  // The failed transport remembers the 401's resource_metadata URL and scope: finish with it.
  await first.finishAuth(provider.takeAuthorizationCode());
  const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
  const client = new Client({ name: clientName, version: "1.0.0" });
  await client.connect(transport);
  return { client, transport, provider };
}
