/**
 * Worker thread that runs conformance cases in order and reports each outcome. It lives in its own
 * thread so that the main thread can stop it when a case hangs in code that never checks its deadline.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { ConformanceCase } from "./cases.js";
import { type CaseOutcome, runCase } from "./run-case.js";

/** What the main thread hands to a worker. */
export interface WorkerInput {
  cases: ConformanceCase[];
  start: number;
  timeoutMs: number;
}

/** What a worker reports: `ready` once loaded, one message per case, then `done`. */
export type WorkerMessage =
  | { type: "ready" }
  | { type: "outcome"; index: number; outcome: CaseOutcome }
  | { type: "done" };

const port = parentPort;
if (port) {
  const { cases, start, timeoutMs } = workerData as WorkerInput;
  const ready: WorkerMessage = { type: "ready" };
  port.postMessage(ready);
  for (let index = start; index < cases.length; index++) {
    const c = cases[index];
    if (!c) continue;
    const message: WorkerMessage = { type: "outcome", index, outcome: runCase(c, timeoutMs) };
    port.postMessage(message);
  }
  const done: WorkerMessage = { type: "done" };
  port.postMessage(done);
}
