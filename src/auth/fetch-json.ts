/**
 * Bounded JSON over HTTP for the authorization server's endpoints (metadata discovery,
 * introspection): a deadline for the whole exchange and a size limit on what is read.
 */

/** Why a request to the authorization server failed (never includes credentials). */
export class AuthServerError extends Error {
  override name = "AuthServerError";
}

/** Fetches `url` and parses its JSON object body; throws AuthServerError on any failure. */
export async function fetchJsonObject(
  url: string,
  options: { timeoutMs: number; maxBytes: number; init?: RequestInit },
): Promise<Record<string, unknown>> {
  let response: Response;
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    response = await fetch(url, { ...options.init, signal, redirect: "error" });
  } catch (e) {
    const why = signal.aborted ? `no answer within ${options.timeoutMs} ms` : (e as Error).message;
    throw new AuthServerError(`${new URL(url).origin}: ${why}`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new AuthServerError(`${url}: HTTP ${response.status}`);
  }
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > options.maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new AuthServerError(`${url}: response larger than ${options.maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    const reader = response.body?.getReader();
    for (;;) {
      if (!reader) break;
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > options.maxBytes) {
        await reader.cancel().catch(() => {});
        throw new AuthServerError(`${url}: response larger than ${options.maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof AuthServerError) throw e;
    throw new AuthServerError(
      `${url}: ${signal.aborted ? `no answer within ${options.timeoutMs} ms` : (e as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new AuthServerError(`${url}: the response is not JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new AuthServerError(`${url}: the response is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}
