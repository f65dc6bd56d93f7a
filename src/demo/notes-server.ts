/**
 * The demo "notes" MCP server: tools with honest annotations (read-only, write, destructive), a
 * progress-reporting tool, an error tool, a crash hook, one prompt and two kinds of resources.
 * One McpServer serves one session; every session of a process shares one NotesStore.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult, ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Note, NotesStore } from "./notes.js";

/** The MCP error code for an unknown resource (MCP spec, resources: error handling). */
const RESOURCE_NOT_FOUND = -32002;

/** Options for createNotesServer. */
export interface NotesServerOptions {
  /** Called by the `crash` tool; the default ends the process with the given code. */
  onCrash?: (exitCode: number) => void;
}

/** Server name and version reported in the initialize result. */
export const DEMO_SERVER_INFO = { name: "portcullis-demo-notes", version: "0.1.0" } as const;

/** Builds one McpServer (one session's worth) over a shared notes store. */
export function createNotesServer(store: NotesStore, options: NotesServerOptions = {}): McpServer {
  const server = new McpServer(DEMO_SERVER_INFO, {
    instructions:
      "A fake notes service for demonstrating the Portcullis gateway. State is in memory and lost on exit. " +
      "The fail and crash tools are test hooks.",
  });
  registerNoteTools(server, store);
  registerTestHookTools(server, options.onCrash ?? ((code) => process.exit(code)));
  registerPromptAndResources(server, store);
  return server;
}

function registerNoteTools(server: McpServer, store: NotesStore): void {
  server.registerTool(
    "search_notes",
    {
      title: "Search notes",
      description: "Finds notes whose title, body or tags contain the query (case-insensitive).",
      inputSchema: {
        query: z.string().describe("Text to look for"),
        limit: z.number().int().min(1).max(100).default(10).describe("Maximum number of notes returned"),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ query, limit }) => {
      const found = store.search(query, limit).map(({ id, title, tags }) => ({ id, title, tags }));
      return jsonResult({ notes: found });
    },
  );

  server.registerTool(
    "read_note",
    {
      title: "Read a note",
      description: "Returns one note by id.",
      inputSchema: { id: z.string().describe("Note id, e.g. 1") },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ id }) => {
      const note = store.get(id);
      return note === undefined ? errorResult(`note ${id} not found`) : jsonResult(note);
    },
  );

  server.registerTool(
    "create_note",
    {
      title: "Create a note",
      description: "Adds a note and returns it with its new id.",
      inputSchema: {
        title: z.string().min(1).max(200),
        body: z.string().max(10_000),
        tags: z.array(z.string()).max(20).default([]),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    ({ title, body, tags }) => jsonResult(store.create({ title, body, tags })),
  );

  server.registerTool(
    "delete_note",
    {
      title: "Delete a note",
      description: "Deletes a note by id. Deleting a note that does not exist changes nothing.",
      inputSchema: { id: z.string() },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ id }) => jsonResult({ id, deleted: store.delete(id) }),
  );

  server.registerTool(
    "slow_count",
    {
      title: "Count slowly",
      description:
        "Counts from 1 to n, waiting delay_ms between steps and sending notifications/progress when the " +
        "request carries a progress token. Stops when the request is cancelled.",
      inputSchema: {
        n: z.number().int().min(1).max(1000),
        delay_ms: z.number().int().min(0).max(10_000).default(100),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ n, delay_ms }, extra) => {
      const progressToken = extra._meta?.progressToken;
      for (let i = 1; i <= n; i++) {
        // Rejects with an AbortError when the client cancels; the SDK then sends no response.
        await sleep(delay_ms, undefined, { signal: extra.signal });
        if (progressToken !== undefined) {
          await extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken, progress: i, total: n, message: `counted ${i} of ${n}` },
          });
        }
      }
      return { content: [{ type: "text", text: `counted to ${n}` }] };
    },
  );
}

function registerTestHookTools(server: McpServer, onCrash: (exitCode: number) => void): void {
  server.registerTool(
    "fail",
    {
      title: "Fail (test hook)",
      description: "Test hook: always returns a tool error result (isError: true) with the given message.",
      inputSchema: { message: z.string().default("the fail tool always fails") },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ message }) => errorResult(message),
  );

  server.registerTool(
    "crash",
    {
      title: "Crash (test hook)",
      description:
        "Test hook: ends the server process immediately, without answering, so a gateway's handling of " +
        "an upstream crash can be tested.",
      inputSchema: { exit_code: z.number().int().min(0).max(255).default(1) },
      // It destroys the whole server: not read-only, destructive, and not safely repeatable.
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    },
    ({ exit_code }) => {
      process.stderr.write(`demo server: crash tool called, exiting with code ${exit_code}\n`);
      onCrash(exit_code);
      return errorResult("crash hook did not exit");
    },
  );
}

function registerPromptAndResources(server: McpServer, store: NotesStore): void {
  server.registerPrompt(
    "summarize_note",
    {
      title: "Summarize a note",
      description: "Asks the model to summarize one note.",
      argsSchema: {
        id: z.string().describe("Note id"),
        style: z.string().optional().describe("How to summarize, e.g. 'one sentence' (default: 'a few bullet points')"),
      },
    },
    ({ id, style }) => {
      const note = store.get(id);
      if (note === undefined) throw new McpError(ErrorCode.InvalidParams, `note ${id} not found`);
      return {
        description: `Summarize note ${id}`,
        messages: [
          {
            role: "user",
            content: {
              type: "text",
              text: `Summarize this note as ${style ?? "a few bullet points"}.\n\n# ${note.title}\n\n${note.body}`,
            },
          },
        ],
      };
    },
  );

  server.registerResource(
    "notes_index",
    "notes://index",
    { title: "All notes", description: "A Markdown list of every note", mimeType: "text/markdown" },
    (uri): ReadResourceResult => ({
      contents: [
        {
          uri: uri.href,
          mimeType: "text/markdown",
          text: store
            .list()
            .map((note) => `- [${note.title}](notes://${note.id})`)
            .join("\n"),
        },
      ],
    }),
  );

  server.registerResource(
    "note",
    new ResourceTemplate("notes://{id}", {
      list: () => ({
        resources: store
          .list()
          .map((note) => ({ uri: `notes://${note.id}`, name: note.title, mimeType: "text/plain" })),
      }),
    }),
    { title: "A note", description: "One note as plain text", mimeType: "text/plain" },
    (uri, variables): ReadResourceResult => {
      const id = String(variables.id);
      const note = store.get(id);
      if (note === undefined) throw new McpError(RESOURCE_NOT_FOUND, `resource ${uri.href} not found`);
      return { contents: [{ uri: uri.href, mimeType: "text/plain", text: noteText(note) }] };
    },
  );
}

function noteText(note: Note): string {
  return `${note.title}\n\n${note.body}\n\ntags: ${note.tags.join(", ")}`;
}

function jsonResult(value: object): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(value) }] };
}

function errorResult(message: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text: message }] };
}
