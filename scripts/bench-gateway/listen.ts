/** How the benchmark's own servers run as children: listen, announce the URL, exit with stdin. */
import type { Server } from "node:http";

/** Listens on 127.0.0.1:`port`, prints `{"listening":URL}`, and exits when stdin closes. */
export function listenAsChild(server: Server, port: number): void {
  server.listen(port, "127.0.0.1", () => {
    const address = server.address();
    const bound = typeof address === "object" && address !== null ? address.port : 0;
    process.stdout.write(`${JSON.stringify({ listening: `http://127.0.0.1:${bound}/mcp` })}\n`);
  });
  // The benchmark holds our stdin open; when it goes away, so do we.
  process.stdin.resume();
  process.stdin.on("end", () => process.exit(0));
}
