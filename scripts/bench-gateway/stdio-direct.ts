/**
 * A direct stdio client for the stdio MCP server under test: newline-delimited JSON-RPC on the
 * child's stdin/stdout, N calls kept in flight. It shows what the server itself can do, so that
 * whatever an HTTP bridge in front of it reaches is the bridge's own overhead.
 */
import { type Child, StartError, spawnChild } from "./children.js";
import { ECHO_MESSAGE, isEchoSuccess, type LoadOptions, type LoadResult, PROTOCOL_VERSION, summarize } from "./load.js";

interface Pending {
  startedNs: bigint;
  resolve: (line: string) => void;
}

/** A stdio MCP server process with an initialized session. */
export interface StdioServerClient {
  child: Child;
  /** Keeps `connections` calls in flight for `durationS` seconds. */
  runLoad(options: LoadOptions): Promise<LoadResult>;
}

/** Spawns `command args` as a stdio MCP server and completes the initialize handshake. */
export async function startStdioServerClient(
  name: string,
  command: string,
  args: string[],
  cwd: string,
): Promise<StdioServerClient> {
  const pending = new Map<number, Pending>();
  const onStdoutLine = (line: string): void => {
    // Only answers to our requests matter (not notifications or server requests); the id is found
    // cheaply, without parsing the whole line.
    if (line.includes('"method"')) return;
    const match = /"id":(\d+)/.exec(line);
    if (match === null) return;
    const id = Number(match[1]);
    const waiter = pending.get(id);
    if (waiter === undefined) return;
    pending.delete(id);
    waiter.resolve(line);
  };
  const { child } = spawnChild({ name, command, args, cwd, onStdoutLine, tailStdout: false });
  let nextId = 0;
  const send = (method: string, params: object | undefined, onAnswer?: (line: string) => void): number => {
    const id = nextId++;
    if (onAnswer) pending.set(id, { startedNs: process.hrtime.bigint(), resolve: onAnswer });
    const message = params === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params };
    child.process.stdin?.write(`${JSON.stringify(message)}\n`);
    return id;
  };
  const request = (method: string, params: object): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new StartError(`${name}: no answer to ${method} within 15 s`)), 15_000);
      void child.exited.then(() =>
        reject(new StartError(`${name}: exited during ${method}: ${child.tail().join(" ")}`)),
      );
      send(method, params, (line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });

  const init = await request("initialize", {
    protocolVersion: PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: "portcullis-bench", version: "1.0.0" },
  });
  if (!init.includes('"result"')) throw new StartError(`${name}: initialize failed: ${init.slice(0, 300)}`);
  child.process.stdin?.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
  const check = await request("tools/call", { name: "echo", arguments: { message: ECHO_MESSAGE } });
  if (!isEchoSuccess(check)) throw new StartError(`${name}: a test call of "echo" failed: ${check.slice(0, 300)}`);

  const runLoad = async (options: LoadOptions): Promise<LoadResult> => {
    const latencies: number[] = [];
    let mismatches = 0;
    let running = true;
    let inFlight = 0;
    let drained: () => void = () => {};
    const params = { name: "echo", arguments: { message: ECHO_MESSAGE } };
    const fire = (): void => {
      inFlight++;
      const startedNs = process.hrtime.bigint();
      send("tools/call", params, (line) => {
        inFlight--;
        if (running) {
          latencies.push(Number(process.hrtime.bigint() - startedNs) / 1e6);
          if (!isEchoSuccess(line)) mismatches++;
          fire();
        } else if (inFlight === 0) drained();
      });
    };
    const started = process.hrtime.bigint();
    for (let i = 0; i < options.connections; i++) fire();
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", stop);
        resolve();
      };
      const timer = setTimeout(stop, options.durationS * 1000);
      options.signal?.addEventListener("abort", stop, { once: true });
    });
    running = false;
    const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
    // Let the calls still in flight finish so the next cell starts from an idle server.
    const lost = await new Promise<number>((resolve) => {
      if (inFlight === 0) {
        resolve(0);
        return;
      }
      const timer = setTimeout(() => resolve(inFlight), 10_000);
      drained = () => {
        clearTimeout(timer);
        resolve(0);
      };
    });
    const problems: string[] = [];
    if (mismatches > 0) problems.push(`${mismatches} answers were not an echo result`);
    if (lost > 0) problems.push(`${lost} calls never answered`);
    if (child.hasExited()) problems.push("server exited during the run");
    return summarize(latencies, elapsedS, {
      connections: options.connections,
      non2xx: 0,
      errors: lost,
      timeouts: lost,
      mismatches,
      problems,
    });
  };
  return { child, runLoad };
}
