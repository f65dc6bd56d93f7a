/**
 * Varied tools/call inputs for the reference policy: different users, tools, arguments and times,
 * a mix of allowed and denied requests. Deterministic for a given seed.
 */
import type { Annotations, ArgumentValue, AuthzData, AuthzInput, Tool } from "./lib/authz-model.js";
import { Prng } from "./lib/prng.js";

// Monday 2025-06-02T00:00:00Z, in seconds.
const WEEK_START_S = 1748822400;

/** Generates `count` inputs over `data`. */
export function generateInputs(data: AuthzData, count: number, seed = 42): AuthzInput[] {
  const rng = new Prng(seed);
  const userIds = Object.keys(data.users);
  const toolIds = Object.keys(data.tools);
  const out: AuthzInput[] = [];
  for (let i = 0; i < count; i++) {
    const userId = rng.chance(0.03) ? `u9${rng.int(100, 999)}` : rng.pick(userIds);
    const user = data.users[userId];
    const teams = (user?.teams ?? []).flatMap((n) => (Object.hasOwn(data.teams, n) ? [n] : []));
    const toolId = rng.chance(0.85) && teams.length > 0 ? grantedTool(data, rng, rng.pick(teams)) : rng.pick(toolIds);
    const tool = data.tools[toolId] as Tool;
    const team = teams.length > 0 ? rng.pick(teams) : "team-01";
    const server = rng.chance(0.01) ? "gopher" : tool.server;
    const name = rng.chance(0.01) ? "frobnicate" : tool.name;
    // Mostly weekday office hours, where most teams work; the rest anywhere in the week.
    const hourS = rng.chance(0.75)
      ? rng.int(0, 4) * 86400 + rng.int(9, 16) * 3600
      : rng.int(0, 6) * 86400 + rng.int(0, 23) * 3600;
    // Stay clear of hour boundaries: nanoseconds beyond 2^53 are approximate.
    const seconds = WEEK_START_S + hourS + rng.int(60, 3540);
    out.push({
      method: rng.chance(0.01) ? "tools/list" : "tools/call",
      subject: { user: userId },
      server,
      params: { name, arguments: makeArguments(rng, tool, team) },
      tool: { annotations: advertised(rng, tool.annotations) },
      context: { time_ns: seconds * 1e9, calls_last_hour: rng.chance(0.85) ? rng.int(0, 40) : rng.int(0, 1100) },
    });
  }
  return out;
}

/** A tool the team's grants cover (expanding `server.*` globs). */
function grantedTool(data: AuthzData, rng: Prng, teamId: string): string {
  const team = data.teams[teamId];
  const pattern = team && team.tools.length > 0 ? rng.pick(team.tools) : rng.pick(Object.keys(data.tools));
  if (!pattern.endsWith(".*")) return pattern;
  return rng.pick(data.servers[pattern.slice(0, -2)]?.tools ?? Object.keys(data.tools));
}

function advertised(rng: Prng, registry: Annotations): Annotations {
  if (rng.chance(0.05)) return { readOnlyHint: true };
  if (rng.chance(0.1)) return {};
  return { ...registry };
}

function makeArguments(rng: Prng, tool: Tool, team: string): Record<string, ArgumentValue> {
  const args: Record<string, ArgumentValue> = {};
  const roll = rng.next();
  switch (tool.argument) {
    case "path":
      args.path =
        roll < 0.7
          ? `/workspace/${team}/src/file${rng.int(1, 99)}.ts`
          : roll < 0.8
            ? `/shared/docs/readme${rng.int(1, 9)}.md`
            : roll < 0.93
              ? "/etc/passwd"
              : `/workspace/${team}/../../etc/shadow`;
      break;
    case "repo":
      args.repo = roll < 0.6 ? `acme/${team}-svc${rng.int(1, 9)}` : roll < 0.75 ? "acme/shared-lib" : "evil/exfil";
      break;
    case "url":
      args.url = roll < 0.85 ? `https://docs.example.com/page/${rng.int(1, 500)}` : "http://insecure.example.com/";
      break;
    case "query":
      args.query = roll < 0.8 ? `SELECT id, name FROM accounts WHERE id = ${rng.int(1, 1e6)}` : "DROP TABLE accounts";
      break;
    case "text":
      args.text =
        roll < 0.95
          ? `status update ${rng.int(1, 1000)}: deploy finished`
          : roll < 0.975
            ? "login with password = hunter2"
            : "key AKIAABCDEFGHIJKLMNOP leaked";
      break;
  }
  if (rng.chance(0.3)) args.limit = rng.int(1, 100);
  if (rng.chance(0.1)) args.dry_run = rng.chance(0.5);
  if (rng.chance(0.01)) args.note = "x".repeat(2001);
  return args;
}
