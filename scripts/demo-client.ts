/**
 * A scripted MCP client for the authenticated quickstart: signs in to the development identity
 * provider as a demo user without a browser (authorization code + PKCE, dynamic registration, the
 * login and consent forms answered for you: src/devidp/client-provider.ts), connects to the
 * gateway, prints who it is and which tools that user sees, and optionally calls one.
 *
 *   node --import tsx scripts/demo-client.ts [--user alice] [--password alice]
 *       [--url http://127.0.0.1:8080/mcp] [--call demo__search_notes --args '{"query":"x"}']
 */
import { parseArgs } from "node:util";
import { decodeJwt } from "jose";
import { connectAsUser } from "../src/devidp/client-provider.js";

const USAGE = `usage: node --import tsx scripts/demo-client.ts [--user NAME] [--password PW] [--url MCP_URL]
                                                  [--call TOOL [--args JSON]]`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      user: { type: "string", short: "u", default: "alice" },
      password: { type: "string", short: "p" },
      url: { type: "string", default: "http://127.0.0.1:8080/mcp" },
      call: { type: "string" },
      args: { type: "string", default: "{}" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let toolArgs: Record<string, unknown>;
  try {
    toolArgs = JSON.parse(values.args) as Record<string, unknown>;
  } catch {
    process.stderr.write(`--args must be a JSON object\n${USAGE}\n`);
    return 2;
  }
  const username = values.user;
  const { client, provider } = await connectAsUser(values.url, {
    username,
    password: values.password ?? username,
  });
  try {
    const token = provider.tokens()?.access_token;
    // The claims, never the token itself.
    const claims = token === undefined ? {} : decodeJwt(token);
    process.stdout.write(
      `signed in as ${String(claims.sub)} (groups: ${JSON.stringify(claims.groups ?? [])}, scope: ${String(claims.scope ?? "")})\n` +
        `token issuer ${String(claims.iss)}, audience ${JSON.stringify(claims.aud)}\n`,
    );
    const { tools } = await client.listTools();
    process.stdout.write(`${tools.length} tool(s) visible to ${username}:\n`);
    for (const tool of tools)
      process.stdout.write(`  ${tool.name}${tool.description ? ` - ${tool.description}` : ""}\n`);
    if (values.call !== undefined) {
      try {
        const result = await client.callTool({ name: values.call, arguments: toolArgs });
        process.stdout.write(`${values.call}: ${JSON.stringify(result.content)}\n`);
      } catch (e) {
        process.stdout.write(`${values.call}: refused: ${e instanceof Error ? e.message : String(e)}\n`);
      }
    }
    return 0;
  } finally {
    await client.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`demo-client: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
