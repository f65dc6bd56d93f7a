/**
 * `WWW-Authenticate: Bearer ...` challenges (RFC 6750 3, RFC 9728 5.1, MCP authorization): where
 * the resource metadata is, which scopes to ask for, and what went wrong.
 */

/** A challenge for a 401 (`invalid_token` only when a token was sent) or a 403 `insufficient_scope`. */
export function bearerChallenge(options: {
  resourceMetadata: string;
  scopes: readonly string[];
  error?: "invalid_token" | "insufficient_scope";
  description?: string;
}): string {
  const parts = [`resource_metadata="${quoted(options.resourceMetadata)}"`];
  if (options.scopes.length > 0) parts.push(`scope="${quoted(options.scopes.join(" "))}"`);
  if (options.error !== undefined) parts.push(`error="${options.error}"`);
  if (options.description !== undefined) parts.push(`error_description="${quoted(options.description)}"`);
  return `Bearer ${parts.join(", ")}`;
}

/** RFC 6750 restricts these values to printable ASCII without `"` and `\`. */
function quoted(value: string): string {
  return value.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, "").slice(0, 300);
}
