/**
 * Shapes of the reference MCP authorization policy's data (policies/mcp-authz/data.json) and inputs,
 * shared by the data generator, the input generator and the TypeScript baseline.
 */

/** MCP tool annotations (hints; the registry's values win over what an upstream server advertises). */
export interface Annotations {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** The kind of argument a tool takes, which decides which argument checks apply. */
export type ArgumentKind = "path" | "repo" | "url" | "query" | "text";

export interface Tool {
  server: string;
  name: string;
  annotations: Annotations;
  /** 1 (low) to 3 (high): the clearance a user needs. */
  sensitivity: number;
  argument: ArgumentKind;
}

export interface Server {
  trust: "internal" | "external";
  tools: string[];
}

export interface Team {
  name: string;
  servers: string[];
  /** Tool ids or globs over them with "." as delimiter (e.g. "github.*"). */
  tools: string[];
  denied_tools: string[];
  max_calls_per_hour: number;
  allow_destructive: boolean;
  internet: boolean;
  /** Working hours in UTC, [start, end). */
  hours: { start: number; end: number };
  weekends: boolean;
  path_prefixes: string[];
  /** Repository globs with "/" as delimiter. */
  repos: string[];
}

export interface User {
  name: string;
  teams: string[];
  role: "member" | "lead" | "admin";
  clearance: number;
  disabled: boolean;
}

export interface Config {
  admin_team: string;
  /** RE2 patterns; a leading "(?i)" is the only flag used, so the baseline can map it to JS. */
  blocked_arg_patterns: string[];
  max_argument_length: number;
}

export interface AuthzData {
  users: Record<string, User>;
  teams: Record<string, Team>;
  servers: Record<string, Server>;
  tools: Record<string, Tool>;
  config: Config;
}

/** Argument values the generator produces (JSON scalars). */
export type ArgumentValue = string | number | boolean;

/** An MCP tools/call as the gateway hands it to the policy. */
export interface AuthzInput {
  method: string;
  subject: { user: string };
  server: string;
  params: { name: string; arguments: Record<string, ArgumentValue> };
  tool: { annotations: Annotations };
  context: { time_ns: number; calls_last_hour: number };
}

/** The policy's `decision` document. */
export interface Decision {
  allow: boolean;
  /** Sorted, as a Rego set comes back as JSON. */
  reasons: string[];
  admin_override: boolean;
}
