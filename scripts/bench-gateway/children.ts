/**
 * Child processes of the benchmark: each measured server runs in its own process group so the
 * whole tree (a wrapper and the stdio server it spawned) can be stopped at once, and every child
 * is registered here so Ctrl-C, errors and a normal exit all end them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createConnection, createServer } from "node:net";
import { fileURLToPath } from "node:url";

/** A started child: its name, process, and the last lines it printed (for failure messages). */
export interface Child {
  name: string;
  process: ChildProcess;
  /** The last lines of stdout and stderr, oldest first. */
  tail(): string[];
  /** Resolves when the process has exited (immediately if it already has). */
  exited: Promise<void>;
  /** Whether the process has exited. */
  hasExited(): boolean;
  /** Stops the process group: SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

/** Thrown when a child cannot be started or does not become ready; the message is shown in the report. */
export class StartError extends Error {}

const TAIL_LINES = 30;
const STOP_GRACE_MS = 3000;
const running = new Set<Child>();

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Called for each complete output line; returning a string marks the child ready with that value. */
  readyWhen?: (line: string, stream: "stdout" | "stderr") => string | undefined;
  /** Called for every complete stdout line (e.g. protocol messages of a stdio server). */
  onStdoutLine?: (line: string) => void;
  /** Whether stdout lines go into tail(); off for protocol streams, whose lines say nothing useful. */
  tailStdout?: boolean;
}

/** Spawns a child in its own process group, with piped (and always drained) output. */
export function spawnChild(options: SpawnOptions): { child: Child; ready: Promise<string> } {
  const proc = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    // Its own process group, so stop() reaches grandchildren (e.g. the stdio server behind a wrapper)
    // and a terminal's Ctrl-C reaches only us: we then stop children in an orderly way.
    detached: true,
    // A stdin pipe: several of these programs exit when it closes, which cleans up even if we are killed.
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let exited = false;
  let resolveReady: (value: string) => void = () => {};
  let rejectReady: (error: Error) => void = () => {};
  let isReady = false;
  const ready = new Promise<string>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // Callers may never await readiness (e.g. when the child is probed by port instead).
  ready.catch(() => {});

  const tailStdout = options.tailStdout ?? true;
  const onLine = (line: string, stream: "stdout" | "stderr"): void => {
    if (stream === "stdout") options.onStdoutLine?.(line);
    if (stream === "stderr" || tailStdout) {
      lines.push(line);
      if (lines.length > TAIL_LINES) lines.shift();
    }
    if (!isReady && options.readyWhen) {
      const value = options.readyWhen(line, stream);
      if (value !== undefined) {
        isReady = true;
        resolveReady(value);
      }
    }
  };
  for (const stream of ["stdout", "stderr"] as const) {
    let buffered = "";
    proc[stream]?.setEncoding("utf8");
    proc[stream]?.on("data", (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        onLine(buffered.slice(0, newline).replace(/\r$/, ""), stream);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf("\n");
      }
      // Guards memory against a child that prints a huge line without newlines.
      if (buffered.length > 65536) buffered = buffered.slice(-65536);
    });
  }
  // A child may exit while we write to its stdin; that is reported through `exited`, not as a crash.
  proc.stdin?.on("error", () => {});

  const exitedPromise = new Promise<void>((resolve) => {
    proc.once("exit", (code, signal) => {
      exited = true;
      running.delete(child);
      if (!isReady) rejectReady(new StartError(`exited (${signal ?? `code ${code}`}) before it was ready`));
      resolve();
    });
    proc.once("error", (error) => {
      exited = true;
      running.delete(child);
      if (!isReady) rejectReady(new StartError(`could not spawn ${options.command}: ${error.message}`));
      resolve();
    });
  });

  const child: Child = {
    name: options.name,
    process: proc,
    tail: () => [...lines],
    exited: exitedPromise,
    hasExited: () => exited,
    stop: async () => {
      if (exited) return;
      signalGroup(proc, "SIGTERM");
      const timer = setTimeout(() => signalGroup(proc, "SIGKILL"), STOP_GRACE_MS);
      await exitedPromise;
      clearTimeout(timer);
      // The leader is gone; anything left in its group (a grandchild that ignored SIGTERM) goes now.
      signalGroup(proc, "SIGKILL");
    },
  };
  running.add(child);
  return { child, ready };
}

function signalGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  if (proc.pid === undefined) return;
  try {
    process.kill(-proc.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Waits for `ready`, failing with the child's last output if it exits or takes longer than `timeoutMs`. */
export async function awaitReady(child: Child, ready: Promise<string>, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StartError(`not ready after ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([ready, timeout]);
  } catch (error) {
    await child.stop();
    throw new StartError(`${child.name}: ${describe(error)}${formatTail(child.tail())}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls until something accepts TCP connections on 127.0.0.1:port; fails if the child exits first. */
export async function waitForPort(child: Child, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.hasExited()) break;
    if (await canConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const reason = child.hasExited() ? "exited before it was ready" : `not listening after ${timeoutMs / 1000} s`;
  await child.stop();
  throw new StartError(`${child.name}: ${reason}${formatTail(child.tail())}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A TCP port that was free a moment ago (for programs that cannot listen on port 0 and tell us). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Stops every child still running. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

/** Last-resort cleanup for process exit: SIGKILLs every remaining process group synchronously. */
export function killAllChildrenNow(): void {
  for (const child of running) signalGroup(child.process, "SIGKILL");
}

/** How to run one of our own TypeScript modules as a child: through tsx from source, plainly once compiled. */
export function scriptCommand(node: string, moduleUrl: string): string[] {
  const file = fileURLToPath(moduleUrl);
  return file.endsWith(".ts") ? [node, "--import", "tsx", file] : [node, file];
}

/** How a child ended, with its last output: for the report when a server dies during a measurement. */
export function describeExit(child: Child): string {
  const { exitCode, signalCode } = child.process;
  return `exited (${signalCode ?? `code ${exitCode}`})${formatTail(child.tail())}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function formatTail(lines: string[]): string {
  // Long lines (a bundler's one-line source in a stack trace) are cut: the message is what matters.
  const shown = lines
    .filter((line) => line.trim() !== "" && !/^\s*\^+\s*$/.test(line))
    .slice(-8)
    .map((line) => (line.length > 240 ? `${line.slice(0, 240)}…` : line));
  return shown.length === 0 ? " (no output)" : `; last output:\n    ${shown.join("\n    ")}`;
}
