import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  type CallToolResult,
  type ProgressNotification,
  ProgressNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SERVER_ARGS = ["--import", "tsx", "src/demo/server.ts"];
const TEST_TIMEOUT_MS = 30_000;

/** A connected client and how to tear it down. */
interface Connection {
  client: Client;
  /** Every notifications/progress the client received, in order. */
  progressLog: ProgressNotification["params"][];
  close(): Promise<void>;
}

/**
 * A client that records progress notifications itself. The SDK's own `onprogress` bookkeeping drops
 * a progress notification that arrives in the same chunk as the response (it forgets the token
 * before the deferred notification handler runs), which would make exact assertions flaky.
 */
function newClient(): { client: Client; progressLog: ProgressNotification["params"][] } {
  const client = new Client({ name: "demo-server-test", version: "0.0.0" });
  const progressLog: ProgressNotification["params"][] = [];
  client.setNotificationHandler(ProgressNotificationSchema, (notification) => {
    progressLog.push(notification.params);
  });
  return { client, progressLog };
}

async function connectStdio(): Promise<Connection> {
  const { client, progressLog } = newClient();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...SERVER_ARGS, "--stdio"],
    cwd: REPO,
    stderr: "pipe",
  });
  await client.connect(transport);
  return { client, progressLog, close: () => client.close() };
}

/** Spawns the server in HTTP mode and resolves with the child and the URL it printed. */
async function spawnHttpServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...SERVER_ARGS, "--http", "127.0.0.1:0"], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stderr?.resume();
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  try {
    const [line] = (await once(lines, "line")) as [string];
    const printed = JSON.parse(line) as { url: string };
    assert.match(printed.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    return { child, url: printed.url };
  } finally {
    clearTimeout(timer);
    lines.close();
  }
}

/** Waits for a child to exit (SIGKILL after a bound) and returns its exit code. */
async function exitCodeOf(child: ChildProcess, boundMs = 10_000): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const timer = setTimeout(() => child.kill("SIGKILL"), boundMs);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return code;
}

async function connectHttp(): Promise<Connection & { child: ChildProcess }> {
  const { child, url } = await spawnHttpServer();
  const { client, progressLog } = newClient();
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return {
    client,
    progressLog,
    child,
    async close() {
      await client.close();
      child.kill("SIGTERM");
      assert.equal(await exitCodeOf(child), 0, "SIGTERM ends the HTTP server with code 0");
    },
  };
}

/** Polls a condition every 10 ms; fails after 5 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 5_000) assert.fail("condition not met within 5 s");
    await new Promise((done) => setTimeout(done, 10));
  }
}

function textOf(result: CallToolResult): string {
  const first = result.content[0];
  assert.equal(first?.type, "text");
  return first.type === "text" ? first.text : "";
}

function describeTransport(name: string, connect: () => Promise<Connection>): void {
  describe(`demo server over ${name}`, { timeout: TEST_TIMEOUT_MS }, () => {
    let connection: Connection;
    const progressFor = (token: string) => connection.progressLog.filter((p) => p.progressToken === token);
    before(async () => {
      connection = await connect();
    });
    after(async () => {
      await connection.close();
    });

    it("lists its tools with annotations", async () => {
      const { tools } = await connection.client.listTools();
      assert.deepEqual(tools.map((tool) => tool.name).sort(), [
        "crash",
        "create_note",
        "delete_note",
        "fail",
        "read_note",
        "search_notes",
        "slow_count",
      ]);
      const byName = new Map(tools.map((tool) => [tool.name, tool]));
      assert.deepEqual(byName.get("read_note")?.annotations, {
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      });
      assert.equal(byName.get("create_note")?.annotations?.readOnlyHint, false);
      assert.equal(byName.get("create_note")?.annotations?.destructiveHint, false);
      assert.equal(byName.get("delete_note")?.annotations?.destructiveHint, true);
      assert.deepEqual(byName.get("read_note")?.inputSchema.required, ["id"]);
    });

    it("creates, finds, reads and deletes a note", async () => {
      const created = (await connection.client.callTool({
        name: "create_note",
        arguments: { title: "Gateway test", body: "written by the test", tags: ["test"] },
      })) as CallToolResult;
      const note = JSON.parse(textOf(created)) as { id: string; title: string; tags: string[] };
      assert.equal(note.title, "Gateway test");
      assert.deepEqual(note.tags, ["test"]);

      const search = (await connection.client.callTool({
        name: "search_notes",
        arguments: { query: "gateway TEST" },
      })) as CallToolResult;
      assert.deepEqual(JSON.parse(textOf(search)), { notes: [{ id: note.id, title: "Gateway test", tags: ["test"] }] });

      const read = (await connection.client.callTool({
        name: "read_note",
        arguments: { id: note.id },
      })) as CallToolResult;
      assert.equal((JSON.parse(textOf(read)) as { body: string }).body, "written by the test");

      const deleted = (await connection.client.callTool({
        name: "delete_note",
        arguments: { id: note.id },
      })) as CallToolResult;
      assert.deepEqual(JSON.parse(textOf(deleted)), { id: note.id, deleted: true });

      const missing = (await connection.client.callTool({
        name: "read_note",
        arguments: { id: note.id },
      })) as CallToolResult;
      assert.equal(missing.isError, true);
      assert.equal(textOf(missing), `note ${note.id} not found`);
    });

    it("reports progress from slow_count", async () => {
      const progressToken = `count-${name}`;
      const result = (await connection.client.callTool({
        name: "slow_count",
        arguments: { n: 3, delay_ms: 5 },
        _meta: { progressToken },
      })) as CallToolResult;
      assert.equal(textOf(result), "counted to 3");
      await waitFor(() => progressFor(progressToken).length === 3);
      assert.deepEqual(progressFor(progressToken), [
        { progressToken, progress: 1, total: 3, message: "counted 1 of 3" },
        { progressToken, progress: 2, total: 3, message: "counted 2 of 3" },
        { progressToken, progress: 3, total: 3, message: "counted 3 of 3" },
      ]);
    });

    it("stops slow_count when the request is cancelled", async () => {
      const progressToken = `cancel-${name}`;
      const controller = new AbortController();
      const call = connection.client.callTool(
        { name: "slow_count", arguments: { n: 1000, delay_ms: 20 }, _meta: { progressToken } },
        undefined,
        { signal: controller.signal },
      );
      await waitFor(() => progressFor(progressToken).length >= 2);
      controller.abort("test cancels");
      await assert.rejects(call, /test cancels/);
      // Uncancelled, the server would send about 15 more steps in this time; one may be in flight.
      await new Promise((done) => setTimeout(done, 300));
      assert.ok(progressFor(progressToken).length <= 3, `steps after cancel: ${progressFor(progressToken).length}`);
      const next = (await connection.client.callTool({
        name: "slow_count",
        arguments: { n: 1, delay_ms: 0 },
      })) as CallToolResult;
      assert.equal(textOf(next), "counted to 1");
    });

    it("returns an isError result from fail", async () => {
      const result = (await connection.client.callTool({
        name: "fail",
        arguments: { message: "boom" },
      })) as CallToolResult;
      assert.equal(result.isError, true);
      assert.equal(textOf(result), "boom");
    });

    it("serves the summarize_note prompt", async () => {
      const { prompts } = await connection.client.listPrompts();
      assert.deepEqual(
        prompts.map((prompt) => [prompt.name, prompt.arguments?.map((a) => [a.name, a.required])]),
        [
          [
            "summarize_note",
            [
              ["id", true],
              ["style", false],
            ],
          ],
        ],
      );
      const prompt = await connection.client.getPrompt({ name: "summarize_note", arguments: { id: "1" } });
      const message = prompt.messages[0];
      assert.equal(message?.role, "user");
      assert.equal(message?.content.type, "text");
      assert.match(message?.content.type === "text" ? message.content.text : "", /# Welcome/);
      await assert.rejects(
        connection.client.getPrompt({ name: "summarize_note", arguments: { id: "nope" } }),
        /not found/,
      );
    });

    it("serves notes://index and notes://{id}", async () => {
      const { resources } = await connection.client.listResources();
      const uris = resources.map((resource) => resource.uri);
      assert.ok(uris.includes("notes://index"), `resources: ${uris.join(", ")}`);
      assert.ok(uris.includes("notes://1"), `resources: ${uris.join(", ")}`);
      const { resourceTemplates } = await connection.client.listResourceTemplates();
      assert.deepEqual(
        resourceTemplates.map((template) => template.uriTemplate),
        ["notes://{id}"],
      );
      const index = await connection.client.readResource({ uri: "notes://index" });
      assert.deepEqual(index.contents[0], {
        uri: "notes://index",
        mimeType: "text/markdown",
        text: "- [Welcome](notes://1)\n- [Release checklist](notes://2)\n- [Salary review](notes://3)",
      });
      const note = await connection.client.readResource({ uri: "notes://3" });
      const noteText = note.contents[0] !== undefined && "text" in note.contents[0] ? note.contents[0].text : "";
      assert.match(noteText, /^Salary review\n/);
      await assert.rejects(
        connection.client.readResource({ uri: "notes://999" }),
        (error: Error & { code?: number }) => {
          assert.equal(error.code, -32002);
          return true;
        },
      );
    });
  });
}

describeTransport("stdio", connectStdio);
describeTransport("Streamable HTTP", connectHttp);

describe("demo server process", { timeout: TEST_TIMEOUT_MS }, () => {
  it("exits with 0 when stdin closes in stdio mode", async () => {
    const child = spawn(process.execPath, [...SERVER_ARGS, "--stdio"], { cwd: REPO, stdio: ["pipe", "pipe", "pipe"] });
    child.stdout.resume();
    child.stderr.resume();
    child.stdin.end();
    assert.equal(await exitCodeOf(child), 0);
  });

  it("exits with the crash tool's code, leaving the call unanswered", async () => {
    const connection = await connectHttp();
    try {
      // The bound keeps the test short whether the transport notices the dead stream or not.
      await assert.rejects(
        connection.client.callTool({ name: "crash", arguments: { exit_code: 3 } }, undefined, { timeout: 5_000 }),
      );
      assert.equal(await exitCodeOf(connection.child), 3);
    } finally {
      connection.child.kill("SIGKILL");
      await connection.client.close();
    }
  });

  it("refuses a bad command line with usage and code 2", async () => {
    const child = spawn(process.execPath, [...SERVER_ARGS, "--http", "nonsense"], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.resume();
    assert.equal(await exitCodeOf(child), 2);
    assert.match(stderr, /expected HOST:PORT/);
  });
});
