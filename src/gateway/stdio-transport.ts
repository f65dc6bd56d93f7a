/**
 * The client side of MCP's stdio transport for upstream processes, as an SDK `Transport`.
 * Unlike the SDK's own, it batches the messages written in one event-loop turn into one pipe
 * write (one system call for many concurrent calls), skips re-validating every incoming message
 * with zod (the protocol layer checks what it uses), and bounds the length of a line.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/** How to start the process, and what to do with its stderr. */
export interface StdioTransportOptions {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string | undefined;
  /** Longest line (one message) accepted from the process. */
  maxLineBytes: number;
  onStderrLine?: (line: string) => void;
}

/** How long a process may take to exit after its stdin closes, before SIGTERM, then SIGKILL. */
const EXIT_GRACE_MS = 2000;

/** Stdio client transport for one upstream process. */
export class StdioUpstreamTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private child: ChildProcess | undefined;
  private pending = "";
  private corked = false;
  private exited = false;

  constructor(private readonly options: StdioTransportOptions) {}

  /** Spawns the process; rejects when it cannot be started (e.g. command not found). */
  start(): Promise<void> {
    const { command, args, env, cwd } = this.options;
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        env: { ...getDefaultEnvironment(), ...env },
        cwd,
        stdio: ["pipe", "pipe", "pipe"],
        shell: false,
        windowsHide: true,
      });
      this.child = child;
      child.once("error", (error) => {
        if (!this.exited) reject(error);
        this.onerror?.(error);
      });
      child.once("spawn", () => resolve());
      child.once("exit", () => {
        this.exited = true;
        this.onclose?.();
      });
      child.stdin?.on("error", (error) => this.onerror?.(error));
      child.stdout?.setEncoding("utf8");
      child.stdout?.on("data", (chunk: string) => this.read(chunk));
      child.stderr?.setEncoding("utf8");
      let stderr = "";
      child.stderr?.on("data", (chunk: string) => {
        stderr += chunk;
        const lines = stderr.split("\n");
        stderr = (lines.pop() ?? "").slice(-4096);
        for (const line of lines) if (line.trim() !== "") this.options.onStderrLine?.(line.slice(0, 4096));
      });
    });
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin || this.exited || stdin.destroyed) throw new Error("the upstream process is not running");
    if (!this.corked) {
      // Everything written until the loop's check phase leaves in one write.
      this.corked = true;
      stdin.cork();
      setImmediate(() => {
        this.corked = false;
        stdin.uncork();
      });
    }
    stdin.write(`${JSON.stringify(message)}\n`);
  }

  /** Closes stdin and waits for the process to exit (escalating to SIGTERM and SIGKILL). */
  async close(): Promise<void> {
    const child = this.child;
    if (!child || this.exited) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.stdin?.end();
    const term = setTimeout(() => child.kill("SIGTERM"), EXIT_GRACE_MS);
    const kill = setTimeout(() => child.kill("SIGKILL"), 2 * EXIT_GRACE_MS);
    await exited;
    clearTimeout(term);
    clearTimeout(kill);
  }

  private read(chunk: string): void {
    let text = this.pending + chunk;
    let newline = text.indexOf("\n");
    while (newline >= 0) {
      const line = text.slice(0, newline).trim();
      text = text.slice(newline + 1);
      if (line !== "") this.deliver(line);
      newline = text.indexOf("\n");
    }
    if (text.length > this.options.maxLineBytes) {
      this.onerror?.(
        new Error(`the upstream wrote a line longer than ${this.options.maxLineBytes} bytes; stopping it`),
      );
      this.pending = "";
      this.child?.kill("SIGKILL");
      return;
    }
    this.pending = text;
  }

  /** Parses one line and hands it on. */
  private deliver(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.onerror?.(new Error(`the upstream wrote a line that is not JSON: ${line.slice(0, 200)}`));
      return;
    }
    if (typeof message !== "object" || message === null || (message as { jsonrpc?: unknown }).jsonrpc !== "2.0") {
      this.onerror?.(new Error(`the upstream wrote a line that is not a JSON-RPC message: ${line.slice(0, 200)}`));
      return;
    }
    this.onmessage?.(message as JSONRPCMessage);
  }
}
