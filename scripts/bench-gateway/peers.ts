/**
 * Starting the servers under test, each as its own child process: the echo upstream, the bare
 * proxy, Portcullis (in front of the echo upstream or of a stdio server), and the two tools people
 * use today to expose a stdio server over Streamable HTTP, supergateway and mcp-proxy.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { awaitReady, type Child, freePort, scriptCommand, spawnChild, waitForPort } from "./children.js";

/** A started HTTP endpoint under test. */
export interface StartedServer {
  child: Child;
  /** The MCP endpoint URL. */
  url: string;
  /** The command line, for the report (so readers see the flags each peer ran with). */
  commandLine: string;
}

/** Where things are and how to run them; shared by every start function. */
export interface Environment {
  repoRoot: string;
  /** The node binary every child runs under. */
  node: string;
  /** Temporary folder for configs, policies and audit logs. */
  workDir: string;
}

const START_TIMEOUT_MS = 30_000;

/** The MCP URL in Portcullis's "gateway listening" log line, or undefined for any other line. */
export function gatewayListeningUrl(line: string): string | undefined {
  if (!line.includes("gateway listening")) return undefined;
  try {
    const record = JSON.parse(line) as { msg?: unknown; url?: unknown };
    return record.msg === "gateway listening" && typeof record.url === "string" ? record.url : undefined;
  } catch {
    return undefined;
  }
}

export { findRepoRoot } from "../lib/bench-report.js";

/** The file a package's `bin` entry points at (the single bin, or the one named `binName`). */
export function packageBin(repoRoot: string, packageName: string, binName?: string): string {
  const packageDir = join(repoRoot, "node_modules", packageName);
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
    bin?: string | Record<string, string>;
  };
  const bin =
    typeof manifest.bin === "string"
      ? manifest.bin
      : manifest.bin === undefined
        ? undefined
        : binName !== undefined
          ? manifest.bin[binName]
          : Object.values(manifest.bin)[0];
  if (bin === undefined) throw new Error(`${packageName} has no bin entry`);
  return resolve(packageDir, bin);
}

/** The stdio server of the comparison: server-everything, `stdio` transport (its first CLI argument). */
export function everythingCommand(env: Environment): { command: string; args: string[] } {
  return { command: env.node, args: [packageBin(env.repoRoot, "@modelcontextprotocol/server-everything"), "stdio"] };
}

function listeningUrl(line: string): string | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value = JSON.parse(line) as { listening?: unknown };
    return typeof value.listening === "string" ? value.listening : undefined;
  } catch {
    return undefined;
  }
}

async function startOwnScript(
  env: Environment,
  name: string,
  moduleUrl: string,
  extraArgs: string[],
): Promise<StartedServer> {
  const [command, ...args] = scriptCommand(env.node, moduleUrl);
  if (command === undefined) throw new Error("empty command");
  const { child, ready } = spawnChild({
    name,
    command,
    args: [...args, ...extraArgs],
    cwd: env.repoRoot,
    readyWhen: (line, stream) => (stream === "stdout" ? listeningUrl(line) : undefined),
  });
  const url = await awaitReady(child, ready, START_TIMEOUT_MS);
  return { child, url, commandLine: [command, ...args, ...extraArgs].join(" ") };
}

/** Starts the minimal echo upstream (a). */
export function startEchoServer(env: Environment): Promise<StartedServer> {
  return startOwnScript(env, "echo server", new URL(`./echo-server${ext()}`, import.meta.url).href, ["--port", "0"]);
}

/** Starts the bare pass-through proxy (b) in front of `upstreamUrl`. */
export function startBareProxy(env: Environment, upstreamUrl: string): Promise<StartedServer> {
  return startOwnScript(env, "bare proxy", new URL(`./bare-proxy${ext()}`, import.meta.url).href, [
    "--port",
    "0",
    "--upstream",
    upstreamUrl,
  ]);
}

/** The extension of our own modules as they run now: `.ts` from source, `.js` once compiled. */
function ext(): string {
  return import.meta.url.endsWith(".ts") ? ".ts" : ".js";
}

/** How Portcullis is run and configured for one measurement. */
export interface PortcullisOptions {
  /** The command prefix before `serve --config FILE`, e.g. `node dist/cli/main.js`. */
  command: string[];
  /** The policy bundle directory. */
  policyDir: string;
  namespacing: "always" | "on-conflict";
  /** A short name for the config and audit files. */
  label: string;
  upstream: { name: string; url: string } | { name: string; command: string; args: string[]; cwd: string };
}

/** Starts Portcullis with a generated config; resolves when it logs `gateway listening` with its URL. */
export async function startPortcullis(env: Environment, options: PortcullisOptions): Promise<StartedServer> {
  const configPath = join(env.workDir, `${options.label}.yaml`);
  const upstream =
    "url" in options.upstream
      ? { name: options.upstream.name, url: options.upstream.url }
      : { ...options.upstream, env: {} };
  const config = {
    listen: "127.0.0.1:0",
    policy: { bundle: options.policyDir, entrypoint: "portcullis/decision" },
    upstreams: [upstream],
    namespacing: options.namespacing,
    namespace_separator: "__",
    audit: { path: join(env.workDir, `${options.label}-audit.jsonl`) },
  };
  writeFileSync(configPath, stringify(config));
  const [first, ...rest] = options.command;
  if (first === undefined) throw new Error("empty --portcullis-cmd");
  // "node" means the benchmark's node binary, so every server runs under the same runtime.
  const command = first === "node" ? env.node : first;
  const args = [...rest, "serve", "--config", configPath];
  const { child, ready } = spawnChild({
    name: "portcullis",
    command,
    args,
    cwd: env.repoRoot,
    readyWhen: gatewayListeningUrl,
  });
  const url = await awaitReady(child, ready, START_TIMEOUT_MS);
  return { child, url, commandLine: [command, ...args].join(" ") };
}

/** Quotes one word for the POSIX shell supergateway runs its --stdio command through. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Starts supergateway exposing the stdio server over Streamable HTTP. `--stateful` keeps one stdio
 * child per session (its stateless mode spawns a child per request); `--logLevel none` because its
 * default level prints every message, which is not what anyone would run under load.
 */
export async function startSupergateway(env: Environment): Promise<StartedServer> {
  const port = await freePort();
  const server = everythingCommand(env);
  const args = [
    packageBin(env.repoRoot, "supergateway"),
    "--stdio",
    [server.command, ...server.args].map(shellQuote).join(" "),
    "--outputTransport",
    "streamableHttp",
    "--stateful",
    "--streamableHttpPath",
    "/mcp",
    "--port",
    String(port),
    "--logLevel",
    "none",
  ];
  const { child } = spawnChild({ name: "supergateway", command: env.node, args, cwd: env.repoRoot });
  await waitForPort(child, port, START_TIMEOUT_MS);
  return { child, url: `http://127.0.0.1:${port}/mcp`, commandLine: ["supergateway", ...args.slice(1)].join(" ") };
}

/**
 * Starts mcp-proxy exposing the stdio server over Streamable HTTP only (`--server stream`, endpoint
 * `/mcp`). `--no-eventStore` drops its resumability buffer, a cost the other two do not pay.
 */
export async function startMcpProxy(env: Environment): Promise<StartedServer> {
  const port = await freePort();
  const server = everythingCommand(env);
  const args = [
    packageBin(env.repoRoot, "mcp-proxy"),
    "--port",
    String(port),
    "--host",
    "127.0.0.1",
    "--server",
    "stream",
    "--streamEndpoint",
    "/mcp",
    "--no-eventStore",
    "--",
    server.command,
    ...server.args,
  ];
  const { child } = spawnChild({ name: "mcp-proxy", command: env.node, args, cwd: env.repoRoot });
  await waitForPort(child, port, START_TIMEOUT_MS);
  return { child, url: `http://127.0.0.1:${port}/mcp`, commandLine: ["mcp-proxy", ...args.slice(1)].join(" ") };
}
