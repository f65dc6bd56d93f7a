/**
 * Generates policies/mcp-authz/data.json for the reference policy: 1,000 users in 50 teams, 200 tools on
 * 10 MCP servers. Deterministic (fixed seed): rerunning it must give the committed file byte for byte.
 *
 *   node --import tsx scripts/gen-authz-data.ts [--check]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Annotations, ArgumentKind, AuthzData, Server, Team, Tool, User } from "./lib/authz-model.js";
import { Prng } from "./lib/prng.js";

const OUT = resolve(dirname(fileURLToPath(import.meta.url)), "../policies/mcp-authz/data.json");
const SEED = 0x9e3779b9;
const USERS = 1000;
const TEAMS = 50;
const TOOLS_PER_SERVER = 20;

interface ServerSpec {
  name: string;
  trust: "internal" | "external";
  argument: ArgumentKind;
  openWorld: boolean;
  objects: string[];
}

const SERVERS: ServerSpec[] = [
  {
    name: "github",
    trust: "external",
    argument: "repo",
    openWorld: true,
    objects: ["issue", "pull", "branch", "release"],
  },
  {
    name: "gitlab",
    trust: "internal",
    argument: "repo",
    openWorld: false,
    objects: ["issue", "merge", "pipeline", "tag"],
  },
  {
    name: "filesystem",
    trust: "internal",
    argument: "path",
    openWorld: false,
    objects: ["file", "dir", "link", "mode"],
  },
  {
    name: "postgres",
    trust: "internal",
    argument: "query",
    openWorld: false,
    objects: ["table", "view", "index", "row"],
  },
  {
    name: "slack",
    trust: "external",
    argument: "text",
    openWorld: true,
    objects: ["message", "channel", "reaction", "pin"],
  },
  {
    name: "jira",
    trust: "external",
    argument: "text",
    openWorld: true,
    objects: ["ticket", "sprint", "board", "comment"],
  },
  { name: "web", trust: "external", argument: "url", openWorld: true, objects: ["page", "feed", "image", "form"] },
  {
    name: "kubernetes",
    trust: "internal",
    argument: "text",
    openWorld: false,
    objects: ["pod", "deployment", "secret", "job"],
  },
  {
    name: "s3",
    trust: "internal",
    argument: "path",
    openWorld: false,
    objects: ["object", "bucket", "policy", "version"],
  },
  {
    name: "email",
    trust: "external",
    argument: "text",
    openWorld: true,
    objects: ["message", "draft", "label", "filter"],
  },
];

// Verbs decide the annotations: reads are read-only, deletes are destructive, the rest write without destroying.
const VERBS = [
  { verb: "get", readOnly: true, destructive: false },
  { verb: "list", readOnly: true, destructive: false },
  { verb: "create", readOnly: false, destructive: false },
  { verb: "update", readOnly: false, destructive: true },
  { verb: "delete", readOnly: false, destructive: true },
];

function generate(): AuthzData {
  const rng = new Prng(SEED);
  const tools: Record<string, Tool> = {};
  const servers: Record<string, Server> = {};
  for (const spec of SERVERS) {
    const ids: string[] = [];
    for (const object of spec.objects) {
      for (const { verb, readOnly, destructive } of VERBS) {
        const name = `${verb}_${object}`;
        const annotations: Annotations = { readOnlyHint: readOnly, openWorldHint: spec.openWorld };
        // Some write tools leave destructiveHint out, so the MCP default (true) applies.
        if (!readOnly && rng.chance(0.7)) annotations.destructiveHint = destructive;
        if (readOnly) annotations.idempotentHint = true;
        const id = `${spec.name}.${name}`;
        tools[id] = {
          server: spec.name,
          name,
          annotations,
          sensitivity: readOnly ? rng.int(1, 2) : rng.int(1, 3),
          argument: spec.argument,
        };
        ids.push(id);
      }
    }
    if (ids.length !== TOOLS_PER_SERVER) throw new Error(`server ${spec.name} has ${ids.length} tools`);
    servers[spec.name] = { trust: spec.trust, tools: ids };
  }

  const serverNames = SERVERS.map((s) => s.name);
  const teams: Record<string, Team> = {};
  const teamIds: string[] = [];
  for (let i = 0; i < TEAMS; i++) {
    const id = `team-${String(i).padStart(2, "0")}`;
    teamIds.push(id);
    const granted = i === 0 ? serverNames : rng.sample(serverNames, rng.int(2, 5));
    const toolPatterns: string[] = [];
    for (const s of granted) {
      const serverTools = servers[s]?.tools ?? [];
      if (rng.chance(0.3)) toolPatterns.push(`${s}.*`);
      else toolPatterns.push(...rng.sample(serverTools, rng.int(3, 12)).sort());
    }
    const start = rng.int(5, 9);
    teams[id] = {
      name: i === 0 ? "Platform administrators" : `Team ${i}`,
      servers: [...granted].sort(),
      tools: toolPatterns,
      denied_tools: rng.sample(Object.keys(tools), rng.int(0, 2)).sort(),
      max_calls_per_hour: rng.int(1, 20) * 50,
      allow_destructive: i === 0 || rng.chance(0.3),
      internet: i === 0 || rng.chance(0.6),
      hours: { start, end: start + rng.int(8, 13) },
      weekends: rng.chance(0.2),
      path_prefixes: [`/workspace/${id}/`, "/shared/"],
      repos: [`acme/${id}-*`, "acme/shared-*"],
    };
  }

  const users: Record<string, User> = {};
  for (let i = 0; i < USERS; i++) {
    const id = `u${String(i).padStart(4, "0")}`;
    const admin = rng.chance(0.02);
    const memberOf = rng.sample(teamIds.slice(1), rng.int(1, 3));
    // A few users reference a team that no longer exists; the policy must ignore it.
    if (rng.chance(0.01)) memberOf.push("team-retired");
    if (admin) memberOf.push("team-00");
    users[id] = {
      name: `User ${i}`,
      teams: memberOf.sort(),
      role: admin ? "admin" : rng.chance(0.12) ? "lead" : "member",
      clearance: rng.pick([1, 2, 2, 3, 3]),
      disabled: rng.chance(0.02),
    };
  }

  return {
    users,
    teams,
    servers,
    tools,
    config: {
      admin_team: "team-00",
      blocked_arg_patterns: ["(?i)password\\s*[=:]", "AKIA[0-9A-Z]{16}", "-----BEGIN [A-Z ]*PRIVATE KEY-----"],
      max_argument_length: 2000,
    },
  };
}

const text = `${JSON.stringify(generate(), null, 2)}\n`;
if (process.argv.includes("--check")) {
  if (readFileSync(OUT, "utf8") !== text) {
    process.stderr.write(`${OUT} is out of date: run node --import tsx scripts/gen-authz-data.ts\n`);
    process.exitCode = 1;
  }
} else {
  writeFileSync(OUT, text);
  process.stdout.write(`wrote ${OUT}\n`);
}
