/** Whether an address is loopback: shared by the configuration checks and the HTTP front end. */

/** True when `host` (a listen address or a peer address, `[v6]` brackets allowed) is a loopback address. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  return (
    bare === "localhost" ||
    bare === "::1" ||
    /^127\.\d+\.\d+\.\d+$/.test(bare) ||
    /^::ffff:127\.\d+\.\d+\.\d+$/i.test(bare)
  );
}

/** The host part of a `listen` value (`host:port`, `[v6]:port`, `:port`); empty host means 127.0.0.1. */
export function listenHost(listen: string): string {
  const colon = listen.lastIndexOf(":");
  return listen.slice(0, colon).replace(/^\[|\]$/g, "") || "127.0.0.1";
}
