/**
 * The reference policy (policies/mcp-authz/policy.rego) written directly in TypeScript: the baseline the
 * engine is measured against, and the oracle the benchmark checks the engine's decisions with.
 * Rule by rule it follows the Rego; keep the two in step.
 */
import type { Annotations, AuthzData, AuthzInput, Decision, Team } from "./lib/authz-model.js";

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const DESTRUCTIVE_SQL = /\b(drop|truncate|delete|alter)\b/i;

/** RE2's leading `(?i)` is the only flag the data uses; JS wants it as a flag instead. */
function toJsRegExp(pattern: string): RegExp {
  return pattern.startsWith("(?i)") ? new RegExp(pattern.slice(4), "i") : new RegExp(pattern);
}

/** OPA's glob.match for patterns with `*` only: `*` matches any run of non-delimiter characters. */
function globToRegExp(pattern: string, delimiter: string): RegExp {
  const notDelim = `[^${delimiter.replace(/[\\\]^-]/g, "\\$&")}]*`;
  const body = pattern
    .split("*")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(notDelim);
  return new RegExp(`^${body}$`);
}

/** A decision function over fixed data; regexes are compiled once, as a hand-written service would. */
export function createBaseline(data: AuthzData): (input: AuthzInput) => Decision {
  const blocked = data.config.blocked_arg_patterns.map(toJsRegExp);
  const globs = new Map<string, RegExp>();
  const glob = (pattern: string, delimiter: string, value: string): boolean => {
    const key = `${delimiter}\u0000${pattern}`;
    let re = globs.get(key);
    if (!re) {
      re = globToRegExp(pattern, delimiter);
      globs.set(key, re);
    }
    return re.test(value);
  };

  return (input: AuthzInput): Decision => {
    const hard = new Set<string>();
    const soft = new Set<string>();

    const user = Object.hasOwn(data.users, input.subject.user) ? data.users[input.subject.user] : undefined;
    const toolId = `${input.server}.${input.params.name}`;
    const tool = Object.hasOwn(data.tools, toolId) ? data.tools[toolId] : undefined;
    const server = Object.hasOwn(data.servers, input.server) ? data.servers[input.server] : undefined;
    const args = input.params.arguments;
    const registry: Annotations = tool?.annotations ?? {};
    const advertised: Annotations = input.tool.annotations;
    const annotations: Annotations = { ...advertised, ...registry };
    const readOnly = annotations.readOnlyHint === true;
    const destructive = !readOnly && (annotations.destructiveHint ?? true) === true;
    const openWorld = (annotations.openWorldHint ?? true) === true;

    const teams: Team[] = [];
    for (const name of user?.teams ?? []) {
      const team = Object.hasOwn(data.teams, name) ? data.teams[name] : undefined;
      if (team) teams.push(team);
    }
    const teamNames = (user?.teams ?? []).filter((n) => Object.hasOwn(data.teams, n));
    const isAdmin = user?.role === "admin" && teamNames.includes(data.config.admin_team);
    const toolGranted = teams.some((t) => t.tools.some((p) => glob(p, ".", toolId)));
    const serverGranted = teams.some((t) => t.servers.includes(input.server));
    const destructiveAllowed = teams.some((t) => t.allow_destructive);
    const internetAllowed = teams.some((t) => t.internet);
    const callLimit = teams.length > 0 ? Math.max(...teams.map((t) => t.max_calls_per_hour)) : undefined;

    const when = new Date(input.context.time_ns / 1e6);
    const hour = when.getUTCHours();
    const weekend = ["Saturday", "Sunday"].includes(WEEKDAYS[when.getUTCDay()] ?? "");
    const inWindow = (t: Team): boolean => t.hours.start <= hour && hour < t.hours.end && (!weekend || t.weekends);
    const withinHours = teams.some(inWindow);

    // Hard denials.
    if (input.method !== "tools/call") hard.add("method is not tools/call");
    if (!user) hard.add("unknown user");
    if (user?.disabled === true) hard.add("user is disabled");
    if (!server) hard.add("unknown server");
    if (!tool) hard.add("unknown tool");
    for (const [key, value] of Object.entries(args)) {
      if (typeof value === "string" && blocked.some((re) => re.test(value))) {
        hard.add(`argument ${key} matches a blocked pattern`);
      }
    }
    const tooLong = Object.values(args).some(
      (v) => typeof v === "string" && [...v].length > data.config.max_argument_length,
    );
    if (tooLong) hard.add("argument too long");
    if (typeof args.path === "string" && args.path.includes("..")) hard.add("path traversal in argument path");
    if (typeof args.url === "string" && !args.url.startsWith("https://")) hard.add("url must use https");
    if (advertised.readOnlyHint === true && registry.readOnlyHint === false) {
      hard.add("server claims read-only for a tool the registry says writes");
    }

    // Soft denials.
    if (user && teams.length === 0) soft.add("user belongs to no known team");
    if (server && !serverGranted) soft.add(`no team grants server ${input.server}`);
    if (tool && !toolGranted) soft.add(`no team grants tool ${toolId}`);
    for (const name of teamNames) {
      if (data.teams[name]?.denied_tools.includes(toolId)) soft.add(`tool ${toolId} is denied for team ${name}`);
    }
    if (tool && destructive && !destructiveAllowed) {
      soft.add("destructive tool needs a team that allows destructive tools");
    }
    if (user && tool && user.clearance < tool.sensitivity) soft.add("insufficient clearance");
    if (tool && openWorld && !internetAllowed) soft.add("open-world tool needs a team with internet access");
    if (tool && !readOnly && !withinHours) soft.add("outside working hours only read-only tools are allowed");
    if (callLimit !== undefined && input.context.calls_last_hour >= callLimit) soft.add("rate limit exceeded");
    if (typeof args.path === "string") {
      const path = args.path;
      if (!teams.some((t) => t.path_prefixes.some((p) => path.startsWith(p)))) {
        soft.add("path outside team workspaces");
      }
    }
    if (typeof args.repo === "string") {
      const repo = args.repo;
      if (!teams.some((t) => t.repos.some((p) => glob(p, "/", repo)))) {
        soft.add("repository not allowed for the user's teams");
      }
    }
    if (typeof args.query === "string" && DESTRUCTIVE_SQL.test(args.query) && !destructiveAllowed) {
      soft.add("destructive SQL needs a team that allows destructive tools");
    }
    if (tool && server?.trust === "external" && user?.role === "member" && destructive) {
      soft.add("external server writes need a lead");
    }

    const reasons = new Set(hard);
    if (!isAdmin) for (const r of soft) reasons.add(r);
    const sorted = [...reasons].sort();
    return { allow: sorted.length === 0, reasons: sorted, admin_override: isAdmin && soft.size > 0 };
  };
}
